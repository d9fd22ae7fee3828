package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A stream belongs to the API key that opened it. Two tenants, A and B, on two gateways that keep
 * streams for a reconnect: B does not see A's streams in {@code /v1/status}, and B's resume and
 * cancel of A's stream id get the 404 an unknown id gets, on either gateway, while A's stream is
 * live and while it is parked; A's stream then finishes with its whole text. A itself cannot take
 * over a stream its client still reads (409), only one whose client went away.
 */
@Tag("engine")
@Tag("cluster")
class StreamOwnershipTest {

  private static final long GRACE_MS = 20_000;
  private static final String BODY = "{\"prompt\":\"the owner\",\"max_tokens\":48,\"temperature\":0,"
      + "\"stream_delay_ms\":30,\"buffer_size\":8}";
  private static TestCluster cluster;
  private static GatewayVerticle second;
  private static Tenant a;
  private static Tenant b;
  private static String reference;

  @BeforeAll
  static void start() throws Exception {
    GatewayOptions keys = GatewayOptions.defaults().withApiKeys(Set.of("sk-tenant-a", "sk-tenant-b"));
    DispatchOptions resumable = DispatchOptions.defaults().withResumeGraceMs(GRACE_MS);
    cluster = TestCluster.gatewayOnly(keys, resumable);
    cluster.addWorker(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4)
        .withContextPerSequence(512), WorkerOptions.defaults("tiny"));
    second = cluster.addGateway(keys, resumable);
    a = new Tenant("sk-tenant-a", cluster.http);
    b = new Tenant("sk-tenant-b", cluster.http);
    await().atMost(Duration.ofSeconds(20)).until(() -> second.dispatcher().registry().all().size() == 1
        && cluster.gateway.dispatcher().registry().all().size() == 1);
    try (RawHttp whole = a.generate(cluster.gateway.port(), BODY.replace("\"stream_delay_ms\":30", "\"stream_delay_ms\":0"))) {
      reference = Tenant.read(whole.sse()).text();
    }
    assertThat(reference).isNotEmpty();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void nothingLeftOpen() {
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.gateway.dispatcher().streams().isEmpty()
        && second.dispatcher().streams().isEmpty());
  }

  private static List<Integer> gateways() {
    return List.of(cluster.gateway.port(), second.port());
  }

  @Test
  void anotherKeyNeitherSeesNorResumesNorCancelsALiveStream() throws Exception {
    int gw = cluster.gateway.port();
    try (RawHttp stream = a.generate(gw, BODY)) {
      String id = stream.headers.get("x-tokenbus-stream-id");
      Sse sse = stream.sse();
      Tenant.Read first = Tenant.read(sse, 0, 1);
      assertThat(a.streamIds(gw)).containsExactly(id);
      JsonObject seenByB = b.status(gw);
      assertThat(seenByB.getJsonArray("streams")).isEmpty();
      assertThat(seenByB.getInteger("other_streams")).isEqualTo(1);

      b.findsNothingOf(id, gateways());

      assertThat(a.streamIds(gw)).as("still open after B's attempts").containsExactly(id);
      Tenant.Read rest = Tenant.read(sse, 1, -1);
      assertThat(first.text() + rest.text()).isEqualTo(reference);
      assertThat(rest.done().getString("finish_reason")).isEqualTo("length");
    }
  }

  @Test
  void theOwnerCannotTakeOverAStreamItsClientStillReads() throws Exception {
    int gw = cluster.gateway.port();
    try (RawHttp stream = a.generate(gw, BODY)) {
      String id = stream.headers.get("x-tokenbus-stream-id");
      Sse sse = stream.sse();
      Tenant.Read first = Tenant.read(sse, 0, 1);
      for (int port : gateways()) {
        HttpResponse<String> again = a.send(port, "GET", "/v1/streams/" + id, "Last-Event-ID", "0");
        assertThat(Tenant.errorCode(again, 409)).isEqualTo("stream_in_use");
        try (RawHttp post = a.resume(port, id, -1)) {
          assertThat(post.status).isEqualTo(409);
          assertThat(post.json().getJsonObject("error").getString("code")).isEqualTo("stream_in_use");
        }
      }
      assertThat(cluster.gateway.dispatcher().isParked(id)).isFalse();
      Tenant.Read rest = Tenant.read(sse, 1, -1);
      assertThat(first.text() + rest.text()).isEqualTo(reference);
    }
  }

  @Test
  void onceItsClientLeftOnlyTheOwnerResumesTheStreamAnywhere() throws Exception {
    String id;
    Tenant.Read first;
    try (RawHttp stream = a.generate(cluster.gateway.port(), BODY)) {
      id = stream.headers.get("x-tokenbus-stream-id");
      first = Tenant.read(stream.sse(), 0, 10);
    } // A's connection drops after token 9
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.gateway.dispatcher().isParked(id));
    assertThat(a.streamIds(cluster.gateway.port())).containsExactly(id);

    b.findsNothingOf(id, gateways());

    assertThat(cluster.gateway.dispatcher().isParked(id)).as("still parked after B's attempts").isTrue();
    try (RawHttp again = a.resume(second.port(), id, 9)) {
      assertThat(again.status).isEqualTo(200);
      Tenant.Read rest = Tenant.read(again.sse(), 10, -1);
      assertThat(first.text() + rest.text()).isEqualTo(reference);
      assertThat(rest.done().getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(48);
    }
  }

  @Test
  void aWebSocketGenerationIsItsOwnersAlone() throws Exception {
    int gw = cluster.gateway.port();
    try (RawWebSocket ws = RawWebSocket.connect(gw, a.authorization())) {
      ws.sendText(new JsonObject(BODY).put("type", "generate").put("id", "g").encode());
      StringBuilder text = new StringBuilder();
      JsonObject frame = ws.nextJson();
      assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("token");
      text.append(frame.getString("text"));
      List<String> own = a.streamIds(gw);
      assertThat(own).hasSize(1);
      String id = own.getFirst();

      b.findsNothingOf(id, gateways());
      HttpResponse<String> takeOver = a.send(gw, "GET", "/v1/streams/" + id, "Last-Event-ID", "0");
      assertThat(Tenant.errorCode(takeOver, 409)).isEqualTo("stream_in_use");

      for (frame = ws.nextJson(); "token".equals(frame.getString("type")); frame = ws.nextJson()) {
        text.append(frame.getString("text"));
      }
      assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("done");
      assertThat(frame.getString("finish_reason")).isEqualTo("length");
      assertThat(text.toString()).isEqualTo(reference);
    }
  }

  @Test
  void theOwnerCancelsItsOwnStream() throws Exception {
    int gw = cluster.gateway.port();
    try (RawHttp stream = a.generate(gw, BODY)) {
      String id = stream.headers.get("x-tokenbus-stream-id");
      Sse sse = stream.sse();
      Tenant.read(sse, 0, 1);
      assertThat(a.send(gw, "DELETE", "/v1/streams/" + id).statusCode()).isEqualTo(204);
      Sse.Event last;
      do {
        last = sse.next();
      } while (last != null && "token".equals(last.event()));
      assertThat(last).isNotNull();
      assertThat(last.event()).isEqualTo("error");
      assertThat(last.data().getString("type")).isEqualTo("cancelled");
    }
  }

  /**
   * The cluster directory (Hazelcast), which anyone on the cluster port can read, names no stream:
   * a gateway answers the claims for the streams it made on one address, named by its ids' prefix.
   * Another key that learnt a waiting request's id some other way (a log line, say) gets 404 for
   * it, and its connection closing withdraws nothing: the request opens once a slot frees, whole.
   */
  @Test
  void theDirectoryNamesNoStreamAndALeakedIdLetsAnotherKeyWithdrawNoQueuedRequest() throws Exception {
    int gw = cluster.gateway.port();
    try (RawWebSocket busy = RawWebSocket.connect(gw, a.authorization())) {
      for (int i = 0; i < 4; i++) { // every slot, each generation paused after its first token
        busy.sendText(new JsonObject(BODY).put("type", "generate").put("id", "busy" + i).put("credit", 1).encode());
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> a.streamIds(gw).size() == 4);
      Set<String> busyIds = Set.copyOf(a.streamIds(gw));
      var waiting = cluster.http.sendAsync(java.net.http.HttpRequest.newBuilder(cluster.uri("/v1/generate"))
          .header("Authorization", "Bearer " + a.key()).POST(java.net.http.HttpRequest.BodyPublishers.ofString(BODY))
          .build(), HttpResponse.BodyHandlers.ofInputStream());
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.gateway.dispatcher().queued() == 1);
      String id = cluster.gateway.dispatcher().waiting().getFirst();
      Set<String> listed = addressesInTheDirectory();
      assertThat(listed).as("the gateway's own claims address").anyMatch(
          address -> address.equals(dev.tokenbus.protocol.Addresses.gatewayClaims(id.substring(0, id.indexOf('-')))));
      assertThat(listed).as("no stream's id").noneMatch(address -> address.contains(id)
          || busyIds.stream().anyMatch(address::contains));

      b.findsNothingOf(id, gateways());
      assertThat(a.streamIds(gw)).as("a waiting request is not an open stream").doesNotContain(id);
      assertThat(cluster.gateway.dispatcher().queued()).as("still waiting").isEqualTo(1);

      busy.close(); // frees the slots
      HttpResponse<java.io.InputStream> response = waiting.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("X-Tokenbus-Stream-Id")).hasValue(id);
      try (var body = new java.io.BufferedReader(new java.io.InputStreamReader(response.body(),
          java.nio.charset.StandardCharsets.UTF_8))) {
        assertThat(Tenant.read(new Sse(body)).text()).isEqualTo(reference);
      }
    }
  }

  /** The addresses the cluster directory lists, as anyone on the Hazelcast port can read them. */
  private static Set<String> addressesInTheDirectory() {
    Set<String> addresses = new java.util.HashSet<>();
    for (var hz : com.hazelcast.core.Hazelcast.getAllHazelcastInstances()) {
      for (Object address : hz.getMultiMap("__vertx.subs").keySet()) {
        addresses.add(address.toString());
      }
    }
    return addresses;
  }
}
