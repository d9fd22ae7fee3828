package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.bench.GatewayStatus;
import dev.tokenbus.bench.LocalCluster;
import dev.tokenbus.bench.NodeLauncher;
import dev.tokenbus.bench.SseLoad;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One gateway and three workers, each its own process on loopback, as an operator scales out:
 * concurrent streams spread over every worker, and an overload is queued or refused with 429.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("cluster")
class ClusterProcessTest {

  private static final int WORKERS = 3;
  private static final int SLOTS = 4;
  /** The gateway's admission queue: small, so that an overload overflows it. */
  private static final int QUEUE = 4;

  @TempDir
  Path logs;

  private LocalCluster cluster;
  private ExecutorService clients;

  @BeforeAll
  void startCluster() throws Exception {
    clients = Executors.newVirtualThreadPerTaskExecutor();
    Path model = TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults());
    long t0 = System.nanoTime();
    cluster = LocalCluster.start(NodeLauncher.classPath(TokenbusCommand.class), WORKERS,
        LocalCluster.workerArgs(model, 1, SLOTS), List.of("--queue-size", Integer.toString(QUEUE)), logs);
    System.out.printf("gateway and %d workers ready in %d ms%n", WORKERS, (System.nanoTime() - t0) / 1_000_000);
  }

  @AfterAll
  void stopCluster() {
    if (cluster != null) {
      cluster.close(); // SIGTERM, then SIGKILL for any that lingers
    }
    clients.shutdownNow();
  }

  @AfterEach
  void nothingLeftRunning() {
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      JsonObject s = status();
      return s.getJsonArray("streams").isEmpty() && s.getInteger("queued") == 0;
    });
  }

  private JsonObject status() throws Exception {
    return GatewayStatus.read(cluster.port());
  }

  private CompletableFuture<SseLoad.Round> load(int streams, String body) {
    SseLoad load = new SseLoad(cluster.port());
    return CompletableFuture.supplyAsync(() -> {
      try {
        return load.run(streams, body);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, clients);
  }

  @Test
  void concurrentStreamsSpreadOverEveryWorker() throws Exception {
    int streams = WORKERS * SLOTS;
    int tokens = 40;
    // Paced (about 2 s each), so that every stream is open while the last ones are dispatched.
    CompletableFuture<SseLoad.Round> round = load(streams, new JsonObject().put("prompt", "spread")
        .put("max_tokens", tokens).put("stream_delay_ms", 50).encode());

    Map<String, String> workerOfStream = new HashMap<>();
    Map<String, Integer> peakPerWorker = new HashMap<>();
    Map<String, Integer> slotsOfWorker = new HashMap<>();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
      JsonObject s = status();
      s.getJsonArray("workers").forEach(o -> {
        JsonObject w = (JsonObject) o;
        slotsOfWorker.put(w.getString("id"), w.getInteger("slots"));
      });
      Map<String, Integer> now = new HashMap<>();
      s.getJsonArray("streams").forEach(o -> {
        JsonObject st = (JsonObject) o;
        String worker = st.getString("worker");
        if (worker != null) {
          workerOfStream.put(st.getString("id"), worker);
          now.merge(worker, 1, Integer::sum);
        }
      });
      now.forEach((w, n) -> peakPerWorker.merge(w, n, Math::max));
      return workerOfStream.size() == streams || round.isDone();
    });

    SseLoad.Round r = round.get(60, TimeUnit.SECONDS);
    assertThat(r.streams()).hasSize(streams).allSatisfy(s -> {
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.arrivalNanos()).hasSize(tokens);
      assertThat(s.completionTokens()).isEqualTo(tokens);
    });
    Map<String, Long> perWorker = workerOfStream.values().stream()
        .collect(Collectors.groupingBy(w -> w, Collectors.counting()));
    System.out.println("streams per worker: " + perWorker.values() + ", most at once: " + peakPerWorker.values());
    assertThat(workerOfStream).hasSize(streams);
    assertThat(slotsOfWorker).hasSize(WORKERS);
    assertThat(perWorker.keySet()).isEqualTo(slotsOfWorker.keySet());
    // The most free slots first: 12 streams on 3 x 4 slots are 4 each, unless one ended before the last began.
    assertThat(perWorker.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(SLOTS - 1));
    peakPerWorker.forEach((w, n) -> assertThat(n).as("streams at once on %s", w).isLessThanOrEqualTo(
        slotsOfWorker.get(w)));
  }

  @Test
  void anOverloadIsQueuedOrRefusedWith429AndEveryAdmittedStreamCompletes() throws Exception {
    int streams = 3 * WORKERS * SLOTS;
    int tokens = 20;
    SseLoad.Round r = load(streams, new JsonObject().put("prompt", "overload").put("max_tokens", tokens)
        .put("stream_delay_ms", 25).encode()).get(60, TimeUnit.SECONDS);

    List<SseLoad.Stream> refused = r.streams().stream().filter(SseLoad.Stream::rejected).toList();
    List<SseLoad.Stream> admitted = r.streams().stream().filter(s -> !s.rejected()).toList();
    System.out.printf("%d streams: %d admitted, %d refused with 429%n", streams, admitted.size(), refused.size());
    assertThat(refused).isNotEmpty().allSatisfy(s -> assertThat(s.retryAfterSeconds()).isPositive());
    // At least a slot's worth for every slot was admitted.
    assertThat(admitted).hasSizeGreaterThanOrEqualTo(WORKERS * SLOTS).allSatisfy(s -> {
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.arrivalNanos()).hasSize(tokens);
      assertThat(s.completionTokens()).isEqualTo(tokens);
    });
  }
}
