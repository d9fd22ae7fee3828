package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.OpenAiStream;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The OpenAI routes have /v1/generate's flow control: a stopped reader pauses its sequence, a disconnect cancels it. */
@Tag("engine")
@Tag("cluster")
class OpenAiFlowTest {

  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"slow\"}],\"stream\":true,"
      + "\"max_tokens\":2000,\"temperature\":0,\"buffer_size\":16}";
  private static TestCluster cluster;
  private static LlamaEngine engine;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tinyChat()).withThreads(1).withSlots(2)
        .withContextPerSequence(4096), GatewayOptions.defaults().withSmallBuffers(4096),
        WorkerOptions.defaults("tiny-chat"));
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

  @Test
  void aStoppedReaderPausesItsChatSequence() throws Exception {
    long before = engine.stats().tokensGenerated();
    try (RawHttp stopped = RawHttp.post(cluster.gateway.port(), "/v1/chat/completions", CHAT, 4096)) {
      assertThat(stopped.status).isEqualTo(200);
      Sse sse = stopped.sse();
      assertThat(OpenAiStream.choice(sse.next().data()).getJsonObject("delta").getString("role")).isEqualTo("assistant");
      for (int i = 0; i < 5; i++) {
        assertThat(sse.next().data().getString("object")).isEqualTo("chat.completion.chunk");
      }
      // Once the buffers are full the sequence is paused, and stays so: not one more token for a
      // second (the count may still move while the socket buffers settle).
      AtomicLong last = new AtomicLong(-1);
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.stats().paused() == 1);
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).until(() -> {
        long now = engine.stats().tokensGenerated();
        return last.getAndSet(now) == now && engine.stats().paused() == 1;
      });
      long paused = last.get();
      assertThat(paused - before).isLessThan(500);
      JsonArray streams = cluster.status().getJsonArray("streams");
      assertThat(streams).hasSize(1);
      assertThat(streams.getJsonObject(0).getString("state")).isEqualTo("paused");
    }
  }

  @Test
  void aClientThatGoesAwayCancelsItsCompletion() throws Exception {
    RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/completions",
        "{\"prompt\":\"bye\",\"stream\":true,\"max_tokens\":1000,\"stream_delay_ms\":5}", 0);
    Sse sse = client.sse();
    for (int i = 0; i < 3; i++) {
      assertThat(sse.next().data().getString("object")).isEqualTo("text_completion");
    }
    assertThat(engine.stats().active()).isEqualTo(1);
    long t0 = System.nanoTime();
    client.close();
    await().pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(2)).until(() -> {
      JsonObject s = cluster.status();
      return s.getJsonArray("streams").isEmpty() && engine.stats().active() == 0;
    });
    System.out.println("OpenAI stream: disconnect to free slot " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    assertThat(engine.stats().kvCellsUsed()).isZero();
    assertThat(engine.stats().tokensGenerated()).isLessThan(1000);
  }
}
