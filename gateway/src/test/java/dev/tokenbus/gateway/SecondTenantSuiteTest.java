package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.testing.RawExchange;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The hostile-input suite's second tenant: API key B knows the ids of key A's streams (as if they
 * had leaked) and tries every route that takes a stream id, on both gateways of a cluster that
 * keeps streams for a reconnect. A holds four streams meanwhile: two SSE streams whose clients are
 * connected (one per gateway), one parked (its client went away) and one WebSocket generation.
 * Every resume and cancel of B's must get the very 404 an id never issued gets, B's
 * {@code /v1/status} must list none of A's streams, and B's WebSocket cancel frames naming them
 * must do nothing; afterwards each of A's streams is still open, and A reads each to its end with
 * the text of an undisturbed run (the parked one resumed by A on the other gateway). Nothing may log
 * an error or a stack trace. Seeded ({@code -Dtokenbus.hostile.seed=N}); loopback only.
 */
@Tag("engine")
@Tag("cluster")
class SecondTenantSuiteTest {

  private static final long SEED = Long.getLong("tokenbus.hostile.seed", 9_000_009L);
  private static final int PER_SURFACE = 150;
  private static final int TIMEOUT_MS = 5000;
  private static final int MAX_TOKENS = 240;
  /** Long enough that small buffers pause it long before its end: it stays open through the storm. */
  private static final String BODY = "{\"prompt\":\"the first tenant\",\"max_tokens\":" + MAX_TOKENS
      + ",\"temperature\":0,\"buffer_size\":4}";

  private enum Surface { RESUME_GET, RESUME_POST, CANCEL, STATUS, WEBSOCKET_CANCEL }

  /** One of A's streams: its id, the gateway that holds it, and what kind it is. */
  private record Target(String id, int port, String kind) {}

  @Test
  void anotherKeyReachesNoneOfAKeysStreams() throws Exception {
    GatewayOptions keys = GatewayOptions.defaults().withApiKeys(Set.of("sk-tenant-a", "sk-tenant-b"))
        .withSmallBuffers(4096);
    DispatchOptions resumable = DispatchOptions.defaults().withResumeGraceMs(60_000);
    try (HostileStorm.Log log = new HostileStorm.Log(); TestCluster c = TestCluster.gatewayOnly(keys, resumable)) {
      c.addWorker(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4).withContextPerSequence(512),
          WorkerOptions.defaults("tiny"));
      GatewayVerticle second = c.addGateway(keys, resumable);
      await().atMost(Duration.ofSeconds(20)).until(() -> second.dispatcher().registry().all().size() == 1
          && c.gateway.dispatcher().registry().all().size() == 1);
      Tenant a = new Tenant("sk-tenant-a", c.http);
      Tenant b = new Tenant("sk-tenant-b", c.http);
      int first = c.gateway.port();
      int other = second.port();
      String reference;
      try (RawHttp whole = a.generate(first, BODY)) {
        reference = Tenant.read(whole.sse()).text();
      }

      // A's four streams.
      RawHttp liveHere = RawHttp.post(first, "/v1/generate", BODY, 2048, a.authorization());
      RawHttp liveThere = RawHttp.post(other, "/v1/generate", BODY, 2048, a.authorization());
      Sse hereEvents = liveHere.sse();
      Sse thereEvents = liveThere.sse();
      Tenant.Read hereStart = Tenant.read(hereEvents, 0, 1);
      Tenant.Read thereStart = Tenant.read(thereEvents, 0, 1);
      String parkedId;
      Tenant.Read parkedStart;
      try (RawHttp gone = a.generate(first, BODY)) {
        parkedId = gone.headers.get("x-tokenbus-stream-id");
        parkedStart = Tenant.read(gone.sse(), 0, 5);
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> c.gateway.dispatcher().isParked(parkedId));
      RawWebSocket ws = RawWebSocket.connect(other, a.authorization());
      ws.sendText(new JsonObject(BODY).put("type", "generate").put("id", "g").put("credit", 3).encode());
      StringBuilder wsText = new StringBuilder();
      JsonObject frame = ws.nextJson();
      assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("token");
      wsText.append(frame.getString("text"));
      List<String> wsIds = new ArrayList<>(a.streamIds(other));
      wsIds.remove(liveThere.headers.get("x-tokenbus-stream-id"));
      assertThat(wsIds).hasSize(1);
      List<Target> targets = List.of(new Target(liveHere.headers.get("x-tokenbus-stream-id"), first, "live"),
          new Target(liveThere.headers.get("x-tokenbus-stream-id"), other, "live"),
          new Target(parkedId, first, "parked"), new Target(wsIds.getFirst(), other, "websocket"));
      List<String> ids = targets.stream().map(Target::id).toList();

      // B's storm.
      HostileStorm.Result r = HostileStorm.run("second-tenant inputs", SEED, Surface.values(), PER_SURFACE,
          (surface, i) -> {
            Random rng = new Random(SEED * 31 + surface.ordinal() * 100_003L + i);
            Target t = targets.get(rng.nextInt(targets.size()));
            int port = rng.nextBoolean() ? first : other;
            return attempt(surface, b, port, t, ids, rng);
          });
      assertThat(r.attempts()).isEqualTo(Surface.values().length * PER_SURFACE);
      assertThat(r.problems()).as("B's requests that reached A's streams").isEmpty();

      // A's streams are all still open, and each ends whole.
      assertThat(a.streamIds(first)).containsExactlyInAnyOrder(targets.get(0).id(), parkedId);
      assertThat(a.streamIds(other)).containsExactlyInAnyOrder(targets.get(1).id(), wsIds.getFirst());
      assertThat(c.gateway.dispatcher().isParked(parkedId)).isTrue();
      Tenant.Read hereRest = Tenant.read(hereEvents, 1, -1);
      assertThat(hereStart.text() + hereRest.text()).isEqualTo(reference);
      Tenant.Read thereRest = Tenant.read(thereEvents, 1, -1);
      assertThat(thereStart.text() + thereRest.text()).isEqualTo(reference);
      try (RawHttp resumed = a.resume(other, parkedId, 4)) {
        assertThat(resumed.status).isEqualTo(200);
        assertThat(parkedStart.text() + Tenant.read(resumed.sse(), 5, -1).text()).isEqualTo(reference);
      }
      ws.sendText("{\"type\":\"credit\",\"id\":\"g\",\"n\":1000000}");
      for (frame = ws.nextJson(); "token".equals(frame.getString("type")); frame = ws.nextJson()) {
        wsText.append(frame.getString("text"));
      }
      assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("done");
      assertThat(wsText.toString()).isEqualTo(reference);
      liveHere.close();
      liveThere.close();
      ws.close();

      c.awaitIdle(Duration.ofSeconds(10));
      assertThat(log.errorsOrTraces()).as("errors or stack traces logged").isEmpty();
    }
  }

  /** One request of B's against A's stream {@code t}, judged. */
  private static HostileStorm.Outcome attempt(Surface surface, Tenant b, int port, Target t, List<String> ids, Random rng) {
    String shown = surface + " " + t.kind() + " stream via " + (port == t.port() ? "its" : "the other") + " gateway";
    try {
      if (surface == Surface.STATUS) {
        List<String> listed = b.streamIds(port);
        return new HostileStorm.Outcome(surface, shown, "200", listed.stream().anyMatch(ids::contains)
            ? "lists A's streams: " + listed : null);
      }
      if (surface == Surface.WEBSOCKET_CANCEL) {
        return webSocketCancel(b, port, t, rng, shown);
      }
      String path = pathVariant(t.id(), rng);
      String last = pick(rng, "-1", "0", Integer.toString(rng.nextInt(200)), "");
      RawExchange r = RawExchange.send(port, request(surface, b, path, t.id(), last), TIMEOUT_MS);
      String unknown = Tenant.neverIssued(t.id());
      RawExchange control = RawExchange.send(port, request(surface, b, path.replace(t.id(), unknown), unknown, last),
          TIMEOUT_MS);
      String problem = r.status() != 404 || r.error() == null ? "status " + r.status() + " " + r.body()
          : !"stream_not_found".equals(r.error().getString("code")) ? "code " + r.error().getString("code")
          : !r.body().equals(control.body().replace(unknown, t.id())) ? "differs from an unknown id's: " + r.body()
          : null;
      return new HostileStorm.Outcome(surface, shown + " " + path, Integer.toString(r.status()), problem);
    } catch (Exception e) {
      return new HostileStorm.Outcome(surface, shown, "failed", e.toString());
    }
  }

  private static byte[] request(Surface surface, Tenant b, String path, String id, String last) {
    String auth = "Authorization: Bearer " + b.key() + "\r\n";
    String lastEventId = last.isEmpty() ? "" : "Last-Event-ID: " + last + "\r\n";
    String s = switch (surface) {
      case RESUME_GET -> "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth + lastEventId + "\r\n";
      case RESUME_POST -> "POST /v1/generate HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth + lastEventId
          + "X-Tokenbus-Stream-Id: " + id + "\r\nContent-Length: 0\r\n\r\n";
      default -> "DELETE " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth + "\r\n";
    };
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** {@code /v1/streams/{id}}, the id as it is or with one of its characters percent-encoded (the same id). */
  private static String pathVariant(String id, Random rng) {
    if (rng.nextBoolean()) {
      return "/v1/streams/" + id;
    }
    int i = rng.nextInt(id.length());
    return "/v1/streams/" + id.substring(0, i) + String.format("%%%02X", (int) id.charAt(i)) + id.substring(i + 1);
  }

  /**
   * B's own socket sends cancel frames naming A's stream id (and A's client id), then a frame that
   * is answered with an error: once that answer comes, the cancels were read, and did nothing.
   */
  private static HostileStorm.Outcome webSocketCancel(Tenant b, int port, Target t, Random rng, String shown) throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect(port, b.authorization())) {
      ws.socket.setSoTimeout(TIMEOUT_MS);
      ws.sendText(new JsonObject().put("type", "cancel").put("id", t.id()).encode());
      ws.sendText(new JsonObject().put("type", "cancel").put("id", pick(rng, "g", "a", t.id() + "@x")).encode());
      ws.sendText("{\"type\":\"credit\",\"id\":\"" + t.id() + "\",\"n\":0}");
      JsonObject answer = ws.nextJson();
      boolean expected = answer != null && "error".equals(answer.getString("type"))
          && t.id().equals(answer.getString("id"));
      return new HostileStorm.Outcome(Surface.WEBSOCKET_CANCEL, shown, expected ? "ignored" : "answered",
          expected ? null : "unexpected answer " + answer);
    }
  }

  private static String pick(Random rng, String... options) {
    return options[rng.nextInt(options.length)];
  }
}
