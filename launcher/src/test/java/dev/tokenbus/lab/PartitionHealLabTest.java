package dev.tokenbus.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A gateway and two workers on three hosts, partitioned and healed: a worker cut off for longer
 * than Hazelcast's failure detection forms a cluster of its own; once its cable is back it is one
 * cluster with the others again, listed reachable by the gateway and serving new generations,
 * within 15 s; the partition is logged without stack traces; a stream it ran when cut is cancelled
 * there; and a gateway that lost every worker answers 503 {@code no_worker} at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("cluster")
@Tag("lab")
class PartitionHealLabTest {

  /** Longer than Hazelcast's max.no.heartbeat (5 s): the worker is removed and forms a cluster of its own. */
  private static final Duration PARTITION = Duration.ofSeconds(10);
  private static final Duration HEALING_BOUND = Duration.ofSeconds(15);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** Streams run side by side (the common pool may have a single thread on a small machine). */
  private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.require();
    Path model = TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults());
    // Always the least loaded worker: a rejoined, idle worker gets the next requests.
    lab = Lab.up("heal", 72, 1, 2, model, "--prefix-routing-slack -1", "--threads 1 --slots 4");
  }

  @AfterAll
  void down() {
    clients.close();
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Order(1)
  void aPartitionedWorkerServesAgainWithin15sOfTheHealAndLogsNoStackTrace() throws Exception {
    List<Double> healing = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      int[] logStart = {lab.logText("w1").length(), lab.logText("g1").length()};
      long cutAt = System.nanoTime();
      lab.run("cut", "w1");
      try {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
            .until(() -> lab.workerStatusOf("g1", "w1") == null);
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
            .until(() -> lab.logText("w1").substring(logStart[0]).contains("no gateway is left in this node's cluster"));
        // The fault itself: the partition lasts PARTITION from the cut, whatever detecting it took.
        Thread.sleep(Math.max(0, PARTITION.minusNanos(System.nanoTime() - cutAt).toMillis()));
      } finally {
        lab.run("heal", "w1");
      }
      long healedAt = System.nanoTime();
      await().atMost(HEALING_BOUND).pollInterval(Duration.ofMillis(100)).until(() -> {
        JsonObject w = lab.workerStatusOf("g1", "w1");
        return w != null && w.getBoolean("reachable", false);
      });
      double reachableS = (System.nanoTime() - healedAt) / 1e9;
      double servedS = servedBy("w1", healedAt);
      healing.add(servedS);
      System.out.printf("partition of w1 for %d s healed: w1 reachable on g1 after %.1f s, serving a new"
          + " generation after %.1f s%n", PARTITION.toSeconds(), reachableS, servedS);
      assertThat(servedS).isLessThanOrEqualTo(HEALING_BOUND.toSeconds());
      assertThat(lab.logText("w1").substring(logStart[0])).contains("cluster partition healed: rejoined the cluster")
          .doesNotContain("\n\tat ");
      assertThat(lab.logText("g1").substring(logStart[1])).doesNotContain("\n\tat ");
    }
    healing.sort(null);
    System.out.printf("healing (heal to a new generation on the rejoined worker): min %.1f s, max %.1f s over %d%n",
        healing.get(0), healing.get(healing.size() - 1), healing.size());
  }

  /**
   * Starts streams on g1, four every 1.5 s, until one runs on {@code host}, within
   * {@link #HEALING_BOUND} of {@code healedAt}; answers the seconds from then until one was seen there.
   */
  private double servedBy(String host, long healedAt) {
    List<CompletableFuture<LabStream>> runs = new ArrayList<>();
    long[] lastBatch = {0};
    try {
      await().atMost(Duration.ofNanos(Math.max(1, healedAt + HEALING_BOUND.toNanos() - System.nanoTime())))
          .pollInterval(Duration.ofMillis(100)).until(() -> {
            if (System.nanoTime() - lastBatch[0] > 1_500_000_000L) {
              lastBatch[0] = System.nanoTime();
              for (int i = 0; i < 4; i++) {
                JsonObject body = new JsonObject().put("prompt", "Batch " + runs.size() + " stream " + i)
                    .put("max_tokens", 40).put("temperature", 0).put("stream_delay_ms", 50);
                runs.add(CompletableFuture.supplyAsync(
                    () -> LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, 20_000), clients));
              }
            }
            for (Object o : lab.status("g1").getJsonArray("streams")) {
              if (host.equals(lab.workerHostOf("g1", ((JsonObject) o).getString("id")))) {
                return true;
              }
            }
            return false;
          });
      return (System.nanoTime() - healedAt) / 1e9;
    } finally {
      runs.forEach(CompletableFuture::join);
    }
  }

  @Test
  @Order(2)
  void aWorkerCutFromItsGatewayCancelsItsStreamAndComesBackWithNoneRunning() throws Exception {
    JsonObject body = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 120)
        .put("temperature", 0).put("stream_delay_ms", 100);
    CompletableFuture<LabStream> run = CompletableFuture.supplyAsync(
        () -> LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, 30_000), clients);
    String[] stream = new String[2];
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
      for (Object o : lab.status("g1").getJsonArray("streams")) {
        JsonObject st = (JsonObject) o;
        if (st.getInteger("tokens_delivered") >= 10) {
          stream[0] = st.getString("id");
          stream[1] = lab.workerHostOf("g1", stream[0]);
          return stream[1] != null;
        }
      }
      return false;
    });
    String host = stream[1];
    int logStart = lab.logText(host).length();
    lab.run("cut", host);
    try {
      await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
          .until(() -> lab.logText(host).substring(logStart).contains("stream " + stream[0] + ": "));
      assertThat(lab.logText(host).substring(logStart)).containsPattern("stream " + stream[0]
          + ": (its gateway node .* left the cluster|no credit from its gateway .*); cancelling");
    } finally {
      lab.run("heal", host);
    }
    LabStream moved = run.get();
    System.out.printf("stream %s on %s when cut: %s%n", stream[0], host, moved);
    assertThat(moved.end).as(moved.toString()).isNotEqualTo(LabStream.End.HUNG);
    await().atMost(HEALING_BOUND).pollInterval(Duration.ofMillis(100)).until(() -> {
      JsonObject w = lab.workerStatusOf("g1", host);
      return w != null && w.getBoolean("reachable", false);
    });
    JsonObject w = lab.workerStatusOf("g1", host);
    assertThat(w.getInteger("running")).as(w.encode()).isZero();
    assertThat(w.getInteger("active")).as(w.encode()).isZero();
  }

  @Test
  @Order(3)
  void aGatewayThatLostEveryWorkerAnswers503NoWorkerAtOnce() throws Exception {
    lab.run("cut", "w1");
    lab.run("cut", "w2");
    try {
      await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
          .until(() -> lab.status("g1").getJsonArray("workers").isEmpty());
      for (boolean stream : new boolean[] {false, true}) {
        long t0 = System.nanoTime();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(lab.url("g1") + "/v1/completions"))
            .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("prompt", "Hi").put("max_tokens", 5)
                .put("stream", stream).encode())).build(), HttpResponse.BodyHandlers.ofString());
        double ms = (System.nanoTime() - t0) / 1e6;
        System.out.printf("gateway without workers (stream %s): %d in %.0f ms: %s%n", stream, r.statusCode(), ms,
            r.body());
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(new JsonObject(r.body()).getJsonObject("error").getString("code")).isEqualTo("no_worker");
        assertThat(ms).isLessThan(2_000);
      }
    } finally {
      lab.run("heal", "w1");
      lab.run("heal", "w2");
    }
  }
}
