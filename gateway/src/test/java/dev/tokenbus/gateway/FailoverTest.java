package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A stream whose worker leaves or hangs goes on on another worker: the same stream, event ids in
 * sequence, no gap, no repeat, and the text of an uninterrupted run. In-process nodes here; the
 * launcher's tests do the same with worker processes killed by signals.
 */
@Tag("engine")
@Tag("cluster")
class FailoverTest {

  private static final int MAX_TOKENS = 120;
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    EngineConfig engine = EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(1024);
    cluster = TestCluster.start(3, engine, GatewayOptions.defaults(), WorkerOptions.defaults("tiny")
        .withDrainTimeoutMs(0));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String body(String prompt, String sampling) {
    return "{\"prompt\":\"" + prompt + "\",\"max_tokens\":" + MAX_TOKENS + ",\"stream_delay_ms\":4," + sampling + "}";
  }

  /** A whole stream, checked for order on the way: its text, when each token arrived, and how it ended. */
  private record Streamed(String text, List<Long> arrivals, JsonObject done, JsonObject error) {}

  private static Streamed read(Sse sse, Runnable afterTokens, int after) throws Exception {
    StringBuilder text = new StringBuilder();
    List<Long> arrivals = new ArrayList<>();
    for (Sse.Event e = sse.next(); e != null; e = sse.next()) {
      switch (e.event()) {
        case "token" -> {
          int expected = arrivals.size();
          assertThat(e.id()).as("event ids go on in sequence: no gap, no repeat").isEqualTo(Integer.toString(expected));
          assertThat(e.data().getInteger("index")).isEqualTo(expected);
          text.append(e.data().getString("text"));
          arrivals.add(System.nanoTime());
          if (arrivals.size() == after) {
            afterTokens.run();
          }
        }
        case "done" -> {
          return new Streamed(text.toString(), arrivals, e.data(), null);
        }
        case "error" -> {
          return new Streamed(text.toString(), arrivals, null, e.data());
        }
        default -> { }
      }
    }
    throw new AssertionError("the stream ended without done or error");
  }

  private static Streamed uninterrupted(String prompt, String sampling) throws Exception {
    try (RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate", body(prompt, sampling), 0)) {
      return read(client.sse(), () -> { }, -1);
    }
  }

  /** The index in the cluster's lists of the worker that carries the only open stream. */
  private static int workerOfTheStream() throws Exception {
    String[] endpoint = new String[1];
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      var streams = cluster.status().getJsonArray("streams");
      endpoint[0] = streams.size() == 1 ? streams.getJsonObject(0).getString("worker") : null;
      return endpoint[0] != null;
    });
    for (int i = 0; i < cluster.workers.size(); i++) {
      if (cluster.workers.get(i).endpoint().equals(endpoint[0])) {
        return i;
      }
    }
    throw new AssertionError("no worker " + endpoint[0]);
  }

  private static void assertSameAsUninterrupted(Streamed moved, Streamed reference) {
    assertThat(moved.error()).as("the stream completes").isNull();
    assertThat(moved.done().getString("finish_reason")).isEqualTo("length");
    assertThat(moved.done().getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(MAX_TOKENS);
    assertThat(moved.text()).isEqualTo(reference.text());
  }

  @Test
  void aStreamMovesWhenItsWorkerLeavesAndGoesOnWithTheSameText() throws Exception {
    for (String sampling : List.of("\"temperature\":0", "\"temperature\":0.9,\"seed\":1234")) {
      Streamed reference = uninterrupted("failover " + sampling.length(), sampling);
      try (RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate",
          body("failover " + sampling.length(), sampling), 0)) {
        int victim = workerOfTheStream();
        ClusterNode node = cluster.workerNodes.get(victim);
        Streamed moved = read(client.sse(), node::close, 30);
        assertSameAsUninterrupted(moved, reference);
        cluster.replaceWorker(victim);
      }
    }
  }

  @Test
  void aHungWorkerIsDetectedAndItsStreamMovesWithin2Seconds() throws Exception {
    String sampling = "\"temperature\":0.7,\"seed\":99";
    Streamed reference = uninterrupted("hang", sampling);
    int victim;
    CountDownLatch release = new CountDownLatch(1);
    try (RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate", body("hang", sampling), 0)) {
      victim = workerOfTheStream();
      ClusterNode node = cluster.workerNodes.get(victim);
      // Block every event loop of the worker's node: no token, no heartbeat, as from a stopped process.
      Streamed moved = read(client.sse(), () -> {
        ((io.vertx.core.internal.VertxInternal) node.vertx()).eventLoopGroup().forEach(loop -> loop.execute(() -> awaitQuietly(release)));
      }, 25);
      release.countDown();
      assertSameAsUninterrupted(moved, reference);
      long gapMs = 0;
      for (int i = 1; i < moved.arrivals().size(); i++) {
        gapMs = Math.max(gapMs, (moved.arrivals().get(i) - moved.arrivals().get(i - 1)) / 1_000_000);
      }
      System.out.println("hung worker: the longest wait between two tokens was " + gapMs + " ms");
      assertThat(gapMs).as("the hang was noticed").isGreaterThan(500);
      assertThat(gapMs).as("hang detected and the stream moved").isLessThan(2000);
    } finally {
      release.countDown();
    }
    // The hung worker, back, must not send the old leg's tokens anywhere: it was told to cancel.
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.engines.get(victim).stats().active() == 0);
  }

  @Test
  void aRequestWhoseWorkerDoesNotAnswerIsOpenedOnAnotherOne() throws Exception {
    // Two long streams take a slot on two workers; the third worker, with the most free slots, is
    // the one a new request goes to first. It hangs, so OPEN times out and the next worker takes it.
    List<RawHttp> busy = new ArrayList<>();
    CountDownLatch release = new CountDownLatch(1);
    try {
      // Until two workers carry a stream: two streams usually land on two workers, but an announcement
      // that overtakes the first OPEN can send the second to the same one (which then has no free slot).
      java.util.Set<String> carrying = new java.util.HashSet<>();
      for (int i = 0; i < 4 && carrying.size() < 2; i++) {
        busy.add(RawHttp.post(cluster.gateway.port(), "/v1/generate",
            "{\"prompt\":\"busy " + i + "\",\"max_tokens\":3000,\"stream_delay_ms\":20}", 0));
        int open = busy.size();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
          carrying.clear();
          var streams = cluster.status().getJsonArray("streams");
          streams.forEach(o -> carrying.add(((JsonObject) o).getString("worker")));
          return streams.size() == open && !carrying.contains(null);
        });
      }
      assertThat(carrying).hasSize(2);
      int idle = -1;
      for (int i = 0; i < cluster.workers.size(); i++) {
        if (!carrying.contains(cluster.workers.get(i).endpoint())) {
          idle = i;
        }
      }
      ((io.vertx.core.internal.VertxInternal) cluster.workerNodes.get(idle).vertx()).eventLoopGroup()
          .forEach(loop -> loop.execute(() -> awaitQuietly(release)));

      long t0 = System.nanoTime();
      var r = cluster.post("/v1/generate", "{\"prompt\":\"not started yet\",\"max_tokens\":5,\"stream\":false}");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      System.out.println("opened on another worker after " + ms + " ms");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(5);
      assertThat(ms).as("the OPEN to the hung worker timed out first").isGreaterThanOrEqualTo(1500);
    } finally {
      release.countDown();
      for (RawHttp h : busy) {
        h.close();
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.status().getJsonArray("streams").isEmpty());
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(4, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
