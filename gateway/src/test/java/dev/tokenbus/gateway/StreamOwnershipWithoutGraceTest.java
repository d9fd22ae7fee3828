package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * With {@code resume-grace-ms 0} (the default: no stream is kept for a reconnect) a stream is its
 * key's alone all the same: another key neither lists, resumes nor cancels it, over SSE or on a
 * WebSocket, and its owner cannot take it from the connection it streams to.
 */
@Tag("engine")
@Tag("cluster")
class StreamOwnershipWithoutGraceTest {

  private static final String BODY = "{\"prompt\":\"no grace\",\"max_tokens\":40,\"temperature\":0,"
      + "\"stream_delay_ms\":30,\"buffer_size\":8}";
  private static TestCluster cluster;
  private static Tenant a;
  private static Tenant b;
  private static String reference;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4)
        .withContextPerSequence(512), GatewayOptions.defaults().withApiKeys(Set.of("sk-first", "sk-second")),
        WorkerOptions.defaults("tiny"));
    a = new Tenant("sk-first", cluster.http);
    b = new Tenant("sk-second", cluster.http);
    try (RawHttp whole = a.generate(cluster.gateway.port(), BODY.replace("\"stream_delay_ms\":30", "\"stream_delay_ms\":0"))) {
      reference = Tenant.read(whole.sse()).text();
    }
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void nothingLeftOpen() {
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.gateway.dispatcher().streams().isEmpty());
  }

  @Test
  void anSseStreamIsItsKeysAlone() throws Exception {
    int gw = cluster.gateway.port();
    try (RawHttp stream = a.generate(gw, BODY)) {
      String id = stream.headers.get("x-tokenbus-stream-id");
      Sse sse = stream.sse();
      Tenant.Read first = Tenant.read(sse, 0, 1);

      b.findsNothingOf(id, List.of(gw));
      assertThat(Tenant.errorCode(a.send(gw, "GET", "/v1/streams/" + id, "Last-Event-ID", "0"), 409))
          .isEqualTo("stream_in_use");

      assertThat(a.streamIds(gw)).as("still open").containsExactly(id);
      Tenant.Read rest = Tenant.read(sse, 1, -1);
      assertThat(first.text() + rest.text()).isEqualTo(reference);
      assertThat(rest.done().getString("finish_reason")).isEqualTo("length");
    }
  }

  @Test
  void aWebSocketGenerationIsItsKeysAlone() throws Exception {
    int gw = cluster.gateway.port();
    try (RawWebSocket ws = RawWebSocket.connect(gw, b.authorization())) {
      ws.sendText(new JsonObject(BODY).put("type", "generate").put("id", "w").encode());
      StringBuilder text = new StringBuilder();
      JsonObject frame = ws.nextJson();
      assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("token");
      text.append(frame.getString("text"));
      List<String> own = b.streamIds(gw);
      assertThat(own).hasSize(1);

      a.findsNothingOf(own.getFirst(), List.of(gw));
      assertThat(Tenant.errorCode(b.send(gw, "GET", "/v1/streams/" + own.getFirst(), "Last-Event-ID", "0"), 409))
          .isEqualTo("stream_in_use");

      for (frame = ws.nextJson(); "token".equals(frame.getString("type")); frame = ws.nextJson()) {
        text.append(frame.getString("text"));
      }
      assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("done");
      assertThat(text.toString()).isEqualTo(reference);
    }
  }
}
