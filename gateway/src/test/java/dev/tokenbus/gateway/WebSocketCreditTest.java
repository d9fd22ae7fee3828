package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.JsonFrames;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A WebSocket generation opened with {@code credit} sends that many tokens, then pauses (its
 * worker's sequence with it) until {@code credit} frames grant more; a bad grant is an error frame.
 */
@Tag("engine")
@Tag("cluster")
class WebSocketCreditTest {

  private static TestCluster cluster;
  private static LlamaEngine engine;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(1024), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
    engine = cluster.engines.getFirst();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aCreditedGenerationSendsItsCreditThenWaitsForMore() throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    WebSocket ws = cluster.http.newWebSocketBuilder()
        .buildAsync(URI.create("ws://127.0.0.1:" + cluster.gateway.port() + "/v1/ws"), new JsonFrames(frames::add))
        .get(10, TimeUnit.SECONDS);
    ws.sendText(new JsonObject().put("type", "generate").put("id", "a").put("prompt", "credit")
        .put("max_tokens", 500).put("temperature", 0).put("buffer_size", 4).put("credit", 5).encode(), true).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.stats().paused() == 1);
    long generated = engine.stats().tokensGenerated();
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
        .until(() -> engine.stats().tokensGenerated() == generated);
    assertThat(frames).hasSize(5).allMatch(f -> "token".equals(f.getString("type")));

    ws.sendText(new JsonObject().put("type", "credit").put("id", "a").put("n", 3).encode(), true).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 8);
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> frames.size() == 8);
    assertThat(frames.getLast().getInteger("index")).isEqualTo(7);

    ws.sendText(new JsonObject().put("type", "credit").put("id", "a").put("n", 0).encode(), true).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 9);
    assertThat(frames.getLast().getString("type")).isEqualTo("error");
    assertThat(frames.getLast().getJsonObject("error").getString("param")).isEqualTo("n");

    ws.sendText(new JsonObject().put("type", "cancel").put("id", "a").encode(), true).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.stats().active() == 0);
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
  }

  /**
   * A generation whose worker has finished while the gateway still holds tokens the client has no
   * credit for: when the client goes away, the stream is let go at once (nothing left on the
   * gateway), not kept waiting for credit that can no longer come.
   */
  @Test
  void aFinishedGenerationHeldForCreditIsLetGoWhenTheClientGoesAway() throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    WebSocket ws = cluster.http.newWebSocketBuilder()
        .buildAsync(URI.create("ws://127.0.0.1:" + cluster.gateway.port() + "/v1/ws"), new JsonFrames(frames::add))
        .get(10, TimeUnit.SECONDS);
    ws.sendText(new JsonObject().put("type", "generate").put("id", "held").put("prompt", "credit")
        .put("max_tokens", 8).put("temperature", 0).put("buffer_size", 16).put("credit", 2).encode(), true).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 2 && engine.stats().active() == 0);
    assertThat(cluster.status().getJsonArray("streams")).as("held on the gateway for credit").hasSize(1);

    ws.abort();
    cluster.awaitIdle(Duration.ofSeconds(5));
  }
}
