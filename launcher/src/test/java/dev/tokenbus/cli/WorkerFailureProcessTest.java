package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.bench.GatewayStatus;
import dev.tokenbus.bench.LocalCluster;
import dev.tokenbus.bench.NodeLauncher;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Worker processes that die ({@code kill -9}) or freeze ({@code SIGSTOP}) mid-stream: every stream
 * they carried moves to another worker process and completes with exactly the requested tokens, no
 * gap, no repeat, and the text of an uninterrupted run (temperature 0, and sampled with a seed).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("cluster")
class WorkerFailureProcessTest {

  private static final int WORKERS = 3;
  private static final int SLOTS = 2;
  private static final int TOKENS = 150;

  @TempDir
  static Path logs;

  private LocalCluster cluster;
  private ExecutorService clients;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void startCluster() throws Exception {
    clients = Executors.newVirtualThreadPerTaskExecutor();
    cluster = LocalCluster.start(NodeLauncher.classPath(TokenbusCommand.class), WORKERS,
        LocalCluster.workerArgs(TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults()), 1, SLOTS), List.of(), logs);
  }

  @AfterAll
  void stopCluster() {
    for (int i = 0; cluster != null && i < WORKERS; i++) {
      signal("CONT", cluster.worker(i)); // a stopped process would not hear SIGTERM
    }
    if (cluster != null) {
      cluster.close();
    }
    clients.shutdownNow();
  }

  private static String body(int i) {
    String sampling = i % 2 == 0 ? "\"temperature\":0" : "\"temperature\":0.9,\"seed\":" + (100 + i);
    return "{\"prompt\":\"stream number " + i + "\",\"max_tokens\":" + TOKENS + ",\"stream_delay_ms\":10,"
        + sampling + "}";
  }

  /** One SSE stream as its client saw it. */
  private record Received(List<String> ids, String text, JsonObject done, List<Long> arrivals) {}

  private Received stream(String body, AtomicInteger tokensSeen) throws Exception {
    HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + cluster.port() + "/v1/generate")).timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(r.statusCode()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    List<Long> arrivals = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    String id = null;
    String event = null;
    for (Iterator<String> lines = r.body().iterator(); lines.hasNext(); ) {
      String line = lines.next();
      if (line.startsWith("id: ")) {
        id = line.substring(4);
      } else if (line.startsWith("event: ")) {
        event = line.substring(7);
      } else if (line.startsWith("data: ")) {
        JsonObject data = new JsonObject(line.substring(6));
        switch (event) {
          case "token" -> {
            ids.add(id);
            arrivals.add(System.nanoTime());
            text.append(data.getString("text"));
            tokensSeen.incrementAndGet();
          }
          case "done" -> {
            return new Received(ids, text.toString(), data, arrivals);
          }
          default -> throw new AssertionError("event " + event + ": " + data);
        }
      }
    }
    throw new AssertionError("the stream ended without done after " + ids.size() + " tokens");
  }

  private CompletableFuture<Received> start(String body, AtomicInteger tokensSeen) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return stream(body, tokensSeen);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, clients);
  }

  private Map<Integer, String> references(int streams) throws Exception {
    Map<Integer, String> texts = new HashMap<>();
    for (int i = 0; i < streams; i++) {
      texts.put(i, stream(body(i), new AtomicInteger()).text());
    }
    return texts;
  }

  /** The worker (its index) carrying the most open streams, from the gateway's /v1/status. */
  private int busiestWorker(int streams) throws Exception {
    Map<String, Integer> perWorker = new HashMap<>();
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      perWorker.clear();
      GatewayStatus.read(cluster.port()).getJsonArray("streams").forEach(o ->
          perWorker.merge(((JsonObject) o).getString("worker"), 1, Integer::sum));
      return perWorker.values().stream().mapToInt(Integer::intValue).sum() == streams;
    });
    String busiest = perWorker.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    for (int i = 0; i < WORKERS; i++) {
      if (cluster.workerId(i).equals(busiest)) {
        return i;
      }
    }
    throw new AssertionError("no worker process has id " + busiest);
  }

  private static void assertComplete(Received r, String reference) {
    assertThat(r.ids()).as("no gap, no repeat").containsExactlyElementsOf(
        java.util.stream.IntStream.range(0, TOKENS).mapToObj(Integer::toString).toList());
    assertThat(r.done().getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(TOKENS);
    assertThat(r.text()).isEqualTo(reference);
  }

  /** Runs {@code streams} streams, does {@code failure} to the busiest worker once all are under way. */
  private List<Received> runThrough(int streams, java.util.function.IntConsumer failure) throws Exception {
    AtomicInteger seen = new AtomicInteger();
    List<CompletableFuture<Received>> running = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      running.add(start(body(i), seen));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> seen.get() >= 15 * streams);
    failure.accept(busiestWorker(streams));
    List<Received> received = new ArrayList<>();
    for (CompletableFuture<Received> f : running) {
      received.add(f.get(60, TimeUnit.SECONDS));
    }
    return received;
  }

  @Test
  @Order(1)
  void killingAWorkerMidStreamLosesNothing() throws Exception {
    int streams = 4;
    Map<Integer, String> reference = references(streams);
    List<Received> received = runThrough(streams, victim -> {
      cluster.worker(victim).destroyForcibly(); // SIGKILL
      System.out.println("killed worker " + victim);
    });
    for (int i = 0; i < streams; i++) {
      assertComplete(received.get(i), reference.get(i));
    }
  }

  @Test
  @Order(2)
  void aStoppedWorkerIsDetectedAndItsStreamsMoveWithin2Seconds() throws Exception {
    int streams = 2;
    Map<Integer, String> reference = references(streams);
    int[] stopped = {-1};
    List<Received> received = runThrough(streams, victim -> {
      stopped[0] = victim;
      signal("STOP", cluster.worker(victim));
    });
    long worstGapMs = 0;
    for (int i = 0; i < streams; i++) {
      Received r = received.get(i);
      assertComplete(r, reference.get(i));
      for (int k = 1; k < r.arrivals().size(); k++) {
        worstGapMs = Math.max(worstGapMs, (r.arrivals().get(k) - r.arrivals().get(k - 1)) / 1_000_000);
      }
    }
    System.out.println("SIGSTOP: the longest wait for a token was " + worstGapMs + " ms");
    assertThat(worstGapMs).as("the freeze was felt").isGreaterThan(500);
    assertThat(worstGapMs).as("detected and moved").isLessThan(2000);
    signal("CONT", cluster.worker(stopped[0]));
  }

  /**
   * SIGTERM: the worker hands its streams, with their KV cells, to the other worker and exits within
   * seconds, well before its drain timeout (30 s); the streams complete with the text of an
   * uninterrupted run, as the worker's log says they were handed off.
   */
  @Test
  @Order(3)
  void aSigtermedWorkerHandsItsStreamsOffAndExits() throws Exception {
    int streams = 2;
    Map<Integer, String> reference = references(streams);
    int[] victim = {-1};
    long[] exitMs = {-1};
    List<Received> received = runThrough(streams, w -> {
      victim[0] = w;
      long t0 = System.nanoTime();
      signal("TERM", cluster.worker(w));
      try {
        assertThat(cluster.worker(w).waitFor(25, TimeUnit.SECONDS)).as("the worker exited before its drain timeout")
            .isTrue();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      exitMs[0] = (System.nanoTime() - t0) / 1_000_000;
    });
    for (int i = 0; i < streams; i++) {
      assertComplete(received.get(i), reference.get(i));
    }
    String log = java.nio.file.Files.readString(cluster.workerLog(victim[0]));
    System.out.println("SIGTERM: the worker exited after " + exitMs[0] + " ms");
    assertThat(log).containsPattern("drain: [1-9]\\d* streams handed off with their KV state, 0 moved by replay");
  }

  private static void signal(String name, Process p) {
    if (!p.isAlive()) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("kill -" + name + " failed", e);
    }
  }
}
