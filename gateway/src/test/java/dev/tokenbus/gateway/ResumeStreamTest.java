package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An SSE client whose connection drops reconnects with {@code Last-Event-ID}, here through a second
 * gateway, and gets the rest of its stream: no token lost, none repeated, the text of an
 * uninterrupted run. Meanwhile the stream is paused, not cancelled, until the grace period ends.
 */
@Tag("engine")
@Tag("cluster")
class ResumeStreamTest {

  private static final long GRACE_MS = 3000;
  private static final int MAX_TOKENS = 80;
  private static TestCluster cluster;
  private static GatewayVerticle second;
  private static LlamaEngine engine;

  @BeforeAll
  static void start() throws Exception {
    DispatchOptions resumable = DispatchOptions.defaults().withResumeGraceMs(GRACE_MS);
    cluster = TestCluster.gatewayOnly(GatewayOptions.defaults(), resumable);
    cluster.addWorker(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(1024), WorkerOptions.defaults("tiny"));
    second = cluster.addGateway(GatewayOptions.defaults(), resumable);
    engine = cluster.engines.getFirst();
    await().atMost(Duration.ofSeconds(20)).until(() -> second.dispatcher().registry().all().size() == 1
        && cluster.status().getJsonArray("workers").size() == 1);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String body(String prompt) {
    return "{\"prompt\":\"" + prompt + "\",\"max_tokens\":" + MAX_TOKENS
        + ",\"stream_delay_ms\":3,\"temperature\":0.8,\"seed\":5,\"buffer_size\":8}";
  }

  /** Reads token events while they come in order from {@code from}, until done (returned) or {@code stopAt} tokens. */
  private static JsonObject readTokens(Sse sse, StringBuilder text, int from, int stopAt) throws Exception {
    int next = from;
    for (Sse.Event e = sse.next(); e != null; e = sse.next()) {
      if ("token".equals(e.event())) {
        assertThat(e.id()).as("no token lost, none repeated").isEqualTo(Integer.toString(next));
        text.append(e.data().getString("text"));
        if (++next == stopAt) {
          return null;
        }
      } else if ("done".equals(e.event())) {
        assertThat(next).isEqualTo(MAX_TOKENS);
        return e.data();
      } else if ("error".equals(e.event())) {
        throw new AssertionError("error event: " + e.data());
      }
    }
    throw new AssertionError("the stream ended after token " + (next - 1) + " without done");
  }

  @Test
  void aDroppedClientResumesThroughAnotherGatewayWithNoGapAndNoRepeat() throws Exception {
    StringBuilder reference = new StringBuilder();
    try (RawHttp whole = RawHttp.post(cluster.gateway.port(), "/v1/generate", body("resume me"), 0)) {
      readTokens(whole.sse(), reference, 0, -1);
    }

    StringBuilder text = new StringBuilder();
    String streamId;
    try (RawHttp first = RawHttp.post(cluster.gateway.port(), "/v1/generate", body("resume me"), 0)) {
      streamId = first.headers.get("x-tokenbus-stream-id");
      assertThat(streamId).isNotBlank();
      readTokens(first.sse(), text, 0, 30);
    } // the connection drops after token 29
    // Parked, not cancelled: the sequence holds its slot and waits, generating nothing.
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.stats().paused() == 1);
    assertThat(engine.stats().active()).isEqualTo(1);
    assertThat(cluster.gateway.dispatcher().isParked(streamId)).isTrue();

    try (RawHttp again = RawHttp.post(second.port(), "/v1/generate", "",
        0, Map.of("X-Tokenbus-Stream-Id", streamId, "Last-Event-ID", "29"))) {
      assertThat(again.status).isEqualTo(200);
      assertThat(again.headers.get("x-tokenbus-stream-id")).isEqualTo(streamId);
      JsonObject done = readTokens(again.sse(), text, 30, -1);
      assertThat(done.getString("finish_reason")).isEqualTo("length");
      assertThat(done.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(MAX_TOKENS);
    }
    assertThat(text.toString()).isEqualTo(reference.toString());
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.stats().active() == 0);
  }

  @Test
  void aStreamNotResumedWithinTheGracePeriodIsCancelledAndThenUnknown() throws Exception {
    String streamId;
    try (RawHttp first = RawHttp.post(cluster.gateway.port(), "/v1/generate", body("gone for good"), 0)) {
      streamId = first.headers.get("x-tokenbus-stream-id");
      readTokens(first.sse(), new StringBuilder(), 0, 5);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.stats().paused() == 1);
    long t0 = System.nanoTime();
    await().atMost(Duration.ofMillis(GRACE_MS + 5000)).until(() -> engine.stats().active() == 0);
    assertThat((System.nanoTime() - t0) / 1_000_000).as("kept for the grace period").isGreaterThan(GRACE_MS / 2);

    try (RawHttp late = RawHttp.post(second.port(), "/v1/generate", "", 0,
        Map.of("X-Tokenbus-Stream-Id", streamId, "Last-Event-ID", "4"))) {
      assertThat(late.status).isEqualTo(404);
      JsonObject error = late.json().getJsonObject("error");
      assertThat(error.getString("code")).isEqualTo("stream_not_found");
    }
  }

  @Test
  void aBadLastEventIdIsRefused() throws Exception {
    try (RawHttp bad = RawHttp.post(second.port(), "/v1/generate", "", 0,
        Map.of("X-Tokenbus-Stream-Id", "nope-1", "Last-Event-ID", "soon"))) {
      assertThat(bad.status).isEqualTo(400);
    }
  }
}
