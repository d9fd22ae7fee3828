package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * End-to-end flow control: a client that reads slowly, or stops reading, slows or stops its own
 * sequence inside the worker's decode loop, and only its own. The gateway uses 4 KiB socket and
 * response buffers so that backpressure shows after a few dozen tokens instead of megabytes.
 */
@Tag("engine")
@Tag("cluster")
class BackpressureTest {

  private static final int WINDOW = 16;
  private static TestCluster cluster;
  private static LlamaEngine engine;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4)
        .withContextPerSequence(4096), GatewayOptions.defaults().withSmallBuffers(4096), WorkerOptions.defaults("tiny"));
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

  private static String slowRequest() {
    return "{\"prompt\":\"slow reader\",\"max_tokens\":2000,\"temperature\":0,\"buffer_size\":" + WINDOW + "}";
  }

  /** The only open stream, as the gateway reports it. */
  private static JsonObject onlyStream() throws Exception {
    JsonArray streams = cluster.status().getJsonArray("streams");
    assertThat(streams).hasSize(1);
    return streams.getJsonObject(0);
  }

  @Test
  void slowReaderBoundsWhatTheWorkerGeneratesAndOthersKeepTheirSpeed() throws Exception {
    fastStreamTokensPerSecond(); // warm-up: the first run in a fresh JVM measures the JIT
    double alone = fastStreamTokensPerSecond();
    long before = engine.stats().tokensGenerated();
    int maxOutstanding = 0;
    try (RawHttp slow = RawHttp.post(cluster.gateway.port(), "/v1/generate", slowRequest(), 4096)) {
      Sse sse = slow.sse();
      long next = System.nanoTime();
      for (int i = 0; i < 30; i++) { // about 10 tokens per second, for 3 seconds
        assertThat(sse.next().event()).isEqualTo("token");
        // The engine's count first, then the gateway's: generated can only grow and delivered only
        // grow between the two reads, so this never overstates how far the worker is ahead.
        int generated = (int) (engine.stats().tokensGenerated() - before);
        JsonObject s = onlyStream();
        maxOutstanding = Math.max(maxOutstanding, generated - s.getInteger("tokens_delivered"));
        next += 100_000_000L;
        LockSupport.parkNanos(next - System.nanoTime()); // the reader's pace, not a wait for anything

      }
      long generated = engine.stats().tokensGenerated() - before;
      System.out.printf("slow reader: read 30, worker generated %d, max(generated - delivered) = %d%n", generated,
          maxOutstanding);
      // Credits bound what the worker is ahead of the gateway's delivery: the window, plus the one
      // token a step may produce after its check.
      assertThat(maxOutstanding).isLessThanOrEqualTo(WINDOW + 1);
      assertThat(generated).as("the worker slowed down with the reader").isLessThan(500);

      // Meanwhile another stream on the same worker runs at (nearly) full speed.
      double during = fastStreamTokensPerSecond();
      System.out.printf("other stream: %.0f tok/s alone, %.0f tok/s beside the paused slow reader (%.0f%%)%n", alone,
          during, 100 * during / alone);
      assertThat(during).isGreaterThan(alone * 0.3);
    }
  }

  @Test
  void stoppedReaderStopsTheGeneration() throws Exception {
    long before = engine.stats().tokensGenerated();
    try (RawHttp stopped = RawHttp.post(cluster.gateway.port(), "/v1/generate", slowRequest(), 4096)) {
      Sse sse = stopped.sse();
      for (int i = 0; i < 5; i++) {
        sse.next();
      }
      // The client reads nothing more: once the buffers fill, the sequence is paused in the engine...
      // (While the socket's buffers still take bytes, a first pause can end when credits come back;
      // so wait for a pause that holds.)
      await().pollInterval(Duration.ofMillis(20)).during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10))
          .until(() -> engine.stats().paused() == 1);
      long paused = engine.stats().tokensGenerated();
      // ...and stays paused: not one more token for a second.
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
          .until(() -> engine.stats().tokensGenerated() == paused);
      assertThat(paused - before).isLessThan(500);
      assertThat(onlyStream().getString("state")).isEqualTo("paused");
    }
  }

  /**
   * The agents' routes, each streaming (the native route's case is
   * {@link #stoppedReaderStopsTheGeneration}): a client that stops reading pauses its own sequence in the
   * engine and holds nothing else up; a bystander on the same route is answered in full meanwhile.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"/v1/messages", "/v1/responses"})
  void aStoppedReaderOnAnAgentRoutePausesOnlyItsOwnSequence(String route) throws Exception {
    long before = engine.stats().tokensGenerated();
    try (RawHttp stopped = RawHttp.post(cluster.gateway.port(), route, agentRequest(route, "slow reader", 2000), 4096)) {
      assertThat(stopped.status).isEqualTo(200);
      Sse sse = stopped.sse();
      for (int i = 0; i < 5; i++) {
        assertThat(sse.next()).isNotNull();
      }
      await().pollInterval(Duration.ofMillis(20)).during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10))
          .until(() -> engine.stats().paused() == 1);
      long paused = engine.stats().tokensGenerated();
      assertThat(paused - before).as(route).isLessThan(500);
      // A bystander on the same route gets its whole answer while the stopped reader stays paused.
      try (RawHttp bystander = RawHttp.post(cluster.gateway.port(), route, agentRequest(route, "bystander", 40), 0)) {
        assertThat(bystander.status).isEqualTo(200);
        var events = bystander.sse().all();
        assertThat(events).as(route).isNotEmpty();
        assertThat(events.getLast().event()).as(route).isIn("message_stop", "response.incomplete",
            "response.completed");
      }
      assertThat(engine.stats().paused()).as(route + ": the stopped reader is still paused").isEqualTo(1);
    }
  }

  /**
   * A background response streamed to a client that stops reading goes on to its end: the client's
   * stream reads the response's bounded log, one batch at a time, and holds the generation up at no
   * point; the response completes with all its tokens.
   */
  @Test
  void aBackgroundResponseGoesOnPastAClientThatStopsReadingItsStream() throws Exception {
    String body = new JsonObject().put("input", "slow reader").put("max_output_tokens", 600).put("temperature", 0)
        .put("background", true).put("stream", true).encode();
    try (RawHttp stopped = RawHttp.post(cluster.gateway.port(), "/v1/responses", body, 4096)) {
      assertThat(stopped.status).isEqualTo(200);
      Sse sse = stopped.sse();
      Sse.Event created = sse.next();
      assertThat(created.event()).isEqualTo("response.created");
      String id = created.data().getJsonObject("response").getString("id");
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        JsonObject r = cluster.getJson("/v1/responses/" + id);
        return "incomplete".equals(r.getString("status")) || "completed".equals(r.getString("status"));
      });
      JsonObject done = cluster.getJson("/v1/responses/" + id);
      assertThat(done.getJsonObject("usage").getInteger("output_tokens")).isGreaterThan(100);
      assertThat(engine.stats().paused()).isZero();
    }
  }

  private static String agentRequest(String route, String prompt, int maxTokens) {
    JsonObject body = new JsonObject().put("model", "tiny").put("temperature", 0).put("stream", true)
        .put("buffer_size", WINDOW);
    return switch (route) {
      case "/v1/responses" -> body.put("input", prompt).put("max_output_tokens", maxTokens).encode();
      default -> body.put("max_tokens", maxTokens).put("messages", new JsonArray().add(new JsonObject()
          .put("role", "user").put("content", prompt))).encode();
    };
  }

  /** Tokens per second of a 400-token stream read as fast as possible. */
  private static double fastStreamTokensPerSecond() throws Exception {
    long t0 = System.nanoTime();
    try (RawHttp fast = RawHttp.post(cluster.gateway.port(), "/v1/generate",
        "{\"prompt\":\"fast\",\"max_tokens\":400,\"temperature\":0}", 0)) {
      var events = fast.sse().all();
      assertThat(events.getLast().event()).isEqualTo("done");
      assertThat(events.getLast().data().getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(400);
    }
    return 400 * 1e9 / (System.nanoTime() - t0);
  }
}
