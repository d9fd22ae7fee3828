package dev.tokenbus.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that vanishes mid-stream with a TCP reset, on any transport, leaves nothing behind: its
 * generation is cancelled on the worker and its entry leaves {@code /v1/status}. Before the fix a
 * WebSocket reset often left the sequence paused with its slot until {@code timeout_ms}.
 */
class AbruptDisconnectTest {

  private static final int SLOTS = 4;
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(SLOTS)
        .withContextPerSequence(2048), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void nothingLeftBehind() {
    awaitClean(Duration.ofSeconds(2));
  }

  static long awaitClean(Duration within) {
    return cluster.awaitIdle(within);
  }

  @Test
  void webSocketClientsThatResetMidStreamFreeTheirSlots() throws Exception {
    long worst = 0;
    // More resets than slots: a single leak would leave the next generation waiting.
    for (int i = 0; i < 3 * SLOTS; i++) {
      RawWebSocket ws = RawWebSocket.connect(cluster.gateway.port());
      ws.sendText(new JsonObject().put("type", "generate").put("id", "g" + i).put("prompt", "once upon a time")
          .put("max_tokens", 2000).put("timeout_ms", 600_000).encode());
      int wanted = 1 + i * 3 % 40;
      for (int got = 0; got < wanted; ) {
        JsonObject frame = ws.nextJson();
        assertThat(frame).isNotNull();
        assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("token");
        got++;
      }
      ws.reset();
      worst = Math.max(worst, awaitClean(Duration.ofSeconds(2)));
    }
    System.out.printf("WebSocket reset mid-stream: %d of %d clean; slowest slot free after %d ms%n", 3 * SLOTS,
        3 * SLOTS, worst);
  }

  @Test
  void sseAndOpenAiClientsThatResetMidStreamFreeTheirSlots() throws Exception {
    String[][] requests = {
        {"/v1/generate", "{\"prompt\":\"once\",\"max_tokens\":2000,\"timeout_ms\":600000}"},
        {"/v1/completions", "{\"prompt\":\"once\",\"max_tokens\":2000,\"stream\":true}"},
        {"/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2000,"
            + "\"stream\":true}"}};
    for (int i = 0; i < 2 * SLOTS; i++) {
      String[] r = requests[i % requests.length];
      RawHttp http = RawHttp.post(cluster.gateway.port(), r[0], r[1], 0);
      assertThat(http.status).isEqualTo(200);
      http.in.readLine(); // some of the stream
      var socket = http.socket();
      socket.setSoLinger(true, 0);
      http.close();
      awaitClean(Duration.ofSeconds(2));
    }
  }
}
