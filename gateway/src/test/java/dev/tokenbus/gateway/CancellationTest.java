package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import dev.tokenbus.testing.JsonFrames;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A client that goes away, or cancels, stops its worker sequence and frees the slot within
 * 100 ms, as seen through /v1/status. Uses a wider generated model so that a long prompt takes
 * long enough to be interrupted in the middle.
 */
@Tag("engine")
@Tag("cluster")
class CancellationTest {

  private static TestCluster cluster;
  private static LlamaEngine engine;

  @BeforeAll
  static void start() throws Exception {
    TinyLlamaModel.Spec wide = TinyLlamaModel.Spec.defaults().withLayers(4).withEmbd(256).withHeads(8, 4).withFf(1024)
        .withContextLength(4096).withF16Matrices(true);
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny(wide)).withThreads(1).withSlots(3)
        .withContextPerSequence(2048).withBatch(2048, 512).withPrefillChunk(2048),
        GatewayOptions.defaults().withKeepAliveMs(100), WorkerOptions.defaults("wide"));
    engine = cluster.engines.getFirst();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void slotsFreed() {
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.stats().active() == 0);
  }

  /** Milliseconds until /v1/status shows the worker's slot free and no stream open. */
  private static long msUntilStatusShowsFree(long t0) {
    await().pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(5)).until(() -> {
      JsonObject s = cluster.status();
      return s.getJsonArray("streams").isEmpty() && s.getJsonArray("workers").getJsonObject(0).getInteger("active") == 0;
    });
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static String longPrompt() {
    return "the quick brown fox jumps over the lazy dog ".repeat(55); // about 1500 tokens
  }

  @Test
  void disconnectCancelsTheSequenceWithin100ms() throws Exception {
    RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate",
        "{\"prompt\":\"bye\",\"max_tokens\":1000,\"stream_delay_ms\":5}", 0);
    Sse sse = client.sse();
    for (int i = 0; i < 3; i++) {
      assertThat(sse.next().event()).isEqualTo("token");
    }
    assertThat(engine.stats().active()).isEqualTo(1);
    long t0 = System.nanoTime();
    client.close();
    long ms = msUntilStatusShowsFree(t0);
    System.out.println("disconnect to free slot (via /v1/status): " + ms + " ms");
    assertThat(ms).isLessThanOrEqualTo(100);
    assertThat(engine.stats().kvCellsUsed()).isZero();
  }

  @Test
  void disconnectDuringALongPromptCancelsWithin100ms() throws Exception {
    RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate",
        new JsonObject().put("prompt", longPrompt()).put("cache_prompt", false).put("max_tokens", 10).encode(), 0);
    assertThat(client.status).isEqualTo(200);
    await().pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(10))
        .until(() -> engine.stats().stepTokens() > 1000);
    long t0 = System.nanoTime();
    client.close();
    await().pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(5)).until(() -> engine.stats().active() == 0);
    long engineMs = (System.nanoTime() - t0) / 1_000_000;
    long ms = msUntilStatusShowsFree(t0);
    System.out.println("disconnect during the prompt to free slot: engine " + engineMs + " ms, /v1/status " + ms + " ms");
    assertThat(ms).isLessThanOrEqualTo(100);
    assertThat(engine.stats().kvCellsUsed()).isZero();
  }

  @Test
  void keepAliveCommentsFlowDuringALongPrompt() throws Exception {
    try (RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate",
        new JsonObject().put("prompt", longPrompt()).put("cache_prompt", false).put("max_tokens", 1).encode(), 0)) {
      assertThat(client.status).isEqualTo(200);
      Sse sse = client.sse();
      Sse.Event first = sse.next();
      assertThat(first.event()).isEqualTo("token");
      // The prompt takes several hundred milliseconds; keep-alive is 100 ms.
      assertThat(sse.comments).isGreaterThanOrEqualTo(2);
      assertThat(sse.next().event()).isEqualTo("done");
    }
  }

  @Test
  void webSocketMultiplexesGenerationsAndCancelsOne() throws Exception {
    Map<String, List<JsonObject>> frames = new ConcurrentHashMap<>();
    CompletableFuture<Void> allEnded = new CompletableFuture<>();
    WebSocket ws = cluster.http.newWebSocketBuilder().buildAsync(
        java.net.URI.create("ws://127.0.0.1:" + cluster.gateway.port() + "/v1/ws"), new JsonFrames(f -> {
          frames.computeIfAbsent(f.getString("id"), k -> new CopyOnWriteArrayList<>()).add(f);
          long ended = frames.values().stream().filter(l -> {
            String t = l.getLast().getString("type");
            return "done".equals(t) || "error".equals(t);
          }).count();
          if (ended == 3) {
            allEnded.complete(null);
          }
        })).get(10, TimeUnit.SECONDS);
    ws.sendText(new JsonObject().put("type", "generate").put("id", "a").put("prompt", "one").put("max_tokens", 20)
        .put("temperature", 0).encode(), true).join();
    ws.sendText(new JsonObject().put("type", "generate").put("id", "b").put("prompt", "two").put("max_tokens", 1000)
        .put("stream_delay_ms", 10).encode(), true).join();
    ws.sendText(new JsonObject().put("type", "generate").put("id", "c").put("prompt", "three").put("max_tokens", 30)
        .encode(), true).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> frames.getOrDefault("b", List.of()).size() >= 3);
    ws.sendText("{\"type\":\"cancel\",\"id\":\"b\"}", true).join();
    allEnded.get(20, TimeUnit.SECONDS);

    for (String id : List.of("a", "c")) {
      List<JsonObject> f = frames.get(id);
      List<JsonObject> tokens = f.stream().filter(x -> "token".equals(x.getString("type"))).toList();
      assertThat(tokens).hasSize("a".equals(id) ? 20 : 30);
      for (int i = 0; i < tokens.size(); i++) {
        assertThat(tokens.get(i).getInteger("index")).isEqualTo(i);
      }
      assertThat(f.getLast().getString("type")).isEqualTo("done");
    }
    JsonObject bEnd = frames.get("b").getLast();
    assertThat(bEnd.getString("type")).isEqualTo("error");
    assertThat(bEnd.getJsonObject("error").getString("type")).isEqualTo("cancelled");
    assertThat(frames.get("b").size()).isLessThan(200);
    long t0 = System.nanoTime();
    assertThat(msUntilStatusShowsFree(t0)).isLessThanOrEqualTo(100);
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
  }
}
