package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.bench.GatewayStatus;
import dev.tokenbus.bench.LocalCluster;
import dev.tokenbus.bench.NodeLauncher;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Worker processes with {@code --instances 3} behind a gateway process: the gateway sees three
 * distinct workers of the model on one node, spreads concurrent streams over them, and loses all
 * three when the process stops; SIGTERM drains the instances together, not one after the other.
 * Each test's worker serves a model name of its own, so that the tests' workers never share work.
 */
@Tag("cluster")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerInstancesProcessTest {

  private static final int INSTANCES = 3;
  private static final Pattern SERVING = Pattern.compile("worker (tokenbus\\.worker\\.[0-9a-f-]+) serving model");
  private static final Pattern REQUEST = Pattern.compile("request id=\\S+ model=\\S+ worker=(\\S+) .*finish=length");

  @TempDir
  static Path logs;

  private final HttpClient http = HttpClient.newHttpClient();
  private LocalCluster cluster;
  private ExecutorService clients;

  @BeforeAll
  void startGateway() throws Exception {
    clients = Executors.newVirtualThreadPerTaskExecutor();
    cluster = LocalCluster.start(NodeLauncher.classPath(TokenbusCommand.class), 0, List.of(), List.of(), logs);
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    clients.shutdownNow();
  }

  /** Starts a worker process of {@code INSTANCES} instances serving {@code model}; its index, once all are listed. */
  private int startWorker(String model, int slots, String... more) throws Exception {
    List<String> args = new ArrayList<>(LocalCluster.workerArgs(TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults()),
        1, slots));
    args.addAll(List.of("--instances", Integer.toString(INSTANCES), "--model-name", model));
    args.addAll(List.of(more));
    int i = cluster.addWorker(args);
    await().atMost(Duration.ofSeconds(60)).until(() -> workers(model).size() == INSTANCES);
    return i;
  }

  @Test
  void oneProcessServesAsSeveralWorkersAndTakesThemAllAwayWhenItStops() throws Exception {
    int slots = 2;
    int streamCount = 4; // more than one instance's slots
    int opsPort = freePort();
    int i = startWorker("instances-spread", slots, "--ops-port", Integer.toString(opsPort));
    Path workerLog = cluster.workerLog(i);

    // Three workers of one model on one node, each the one its instance logged at start.
    List<JsonObject> workers = workers("instances-spread");
    assertThat(workers.stream().map(w -> w.getString("id")).collect(Collectors.toSet()))
        .isEqualTo(loggedIds(workerLog));
    assertThat(workers.stream().map(w -> w.getString("node")).distinct()).hasSize(1);
    assertThat(workers).allSatisfy(w -> assertThat(w.getInteger("slots")).isEqualTo(slots));
    await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(workerLog).contains(
        "tokenbus worker ready: model 'instances-spread', " + INSTANCES + " instances"));
    // The node's engine gauges are the sum over its instances.
    assertThat(metrics(opsPort)).contains("tokenbus_worker_slots " + (double) (INSTANCES * slots));

    // Concurrent streams: more than one instance's slots, so more than one instance carries them.
    List<CompletableFuture<JsonObject>> streams = new ArrayList<>();
    for (int s = 0; s < streamCount; s++) {
      streams.add(stream("{\"model\":\"instances-spread\",\"prompt\":\"instance stream " + s
          + "\",\"max_tokens\":60,\"stream_delay_ms\":20,\"temperature\":0}"));
    }
    Set<String> carrying = openStreamsOn(loggedIds(workerLog), streamCount);
    assertThat(carrying).hasSizeGreaterThan(1);
    for (CompletableFuture<JsonObject> s : streams) {
      assertThat(s.get(60, TimeUnit.SECONDS).getString("finish_reason")).isEqualTo("length");
    }
    // The gateway's request log names the instance of each finished stream.
    Path gatewayLog = logs.resolve("gateway.log");
    await().atMost(Duration.ofSeconds(10)).until(() -> requestWorkers(gatewayLog, workerLog).size() == streamCount);
    assertThat(Set.copyOf(requestWorkers(gatewayLog, workerLog))).hasSizeGreaterThan(1);

    // SIGTERM: every instance drains, the process exits, and the gateway lists none of its workers.
    Process worker = cluster.worker(i);
    long t0 = System.nanoTime();
    worker.destroy();
    assertThat(worker.waitFor(30, TimeUnit.SECONDS)).as("exited after SIGTERM; log:%n%s",
        Files.readString(workerLog)).isTrue();
    System.out.printf("worker process with %d instances stopped %d ms after SIGTERM%n", INSTANCES,
        (System.nanoTime() - t0) / 1_000_000);
    assertThat(Pattern.compile("draining: the worker is shutting down").matcher(Files.readString(workerLog))
        .results().count()).isEqualTo(INSTANCES);
    await().atMost(Duration.ofSeconds(20)).until(() -> workers("instances-spread").isEmpty());
  }

  @Test
  void theInstancesDrainTogether() throws Exception {
    long drainMs = 1500;
    int i = startWorker("instances-drain", 1, "--worker-drain", "wait", "--worker-drain-timeout-ms",
        Long.toString(drainMs));
    Path workerLog = cluster.workerLog(i);
    // One slot each: three streams, one on every instance, none of which ends before the drain timeout.
    for (int s = 0; s < INSTANCES; s++) {
      stream("{\"model\":\"instances-drain\",\"prompt\":\"draining stream " + s
          + "\",\"max_tokens\":1000,\"stream_delay_ms\":20,\"temperature\":0}");
    }
    assertThat(openStreamsOn(loggedIds(workerLog), INSTANCES)).hasSize(INSTANCES);

    Process worker = cluster.worker(i);
    long t0 = System.nanoTime();
    worker.destroy();
    assertThat(worker.waitFor(30, TimeUnit.SECONDS)).as("exited after SIGTERM; log:%n%s",
        Files.readString(workerLog)).isTrue();
    System.out.printf("worker process with %d instances, each with a stream, stopped %d ms after SIGTERM"
        + " (drain timeout %d ms)%n", INSTANCES, (System.nanoTime() - t0) / 1_000_000, drainMs);
    // Undeployed one after the other, the second instance would start draining only once the first's timeout passed.
    List<String> lines = Files.readAllLines(workerLog);
    List<Integer> draining = indexes(lines, "draining: the worker is shutting down; 1 streams (wait mode)");
    List<Integer> timedOut = indexes(lines, "drain timeout (" + drainMs + " ms) passed; ending its 1 streams");
    assertThat(draining).as("log:%n%s", String.join("\n", lines)).hasSize(INSTANCES);
    assertThat(timedOut).as("log:%n%s", String.join("\n", lines)).hasSize(INSTANCES);
    assertThat(draining.getLast()).isLessThan(timedOut.getFirst());
    await().atMost(Duration.ofSeconds(20)).until(() -> workers("instances-drain").isEmpty());
  }

  /** Lines (their indexes) containing {@code text}. */
  private static List<Integer> indexes(List<String> lines, String text) {
    return java.util.stream.IntStream.range(0, lines.size()).filter(n -> lines.get(n).contains(text)).boxed().toList();
  }

  /** Starts one SSE generation; its done event. */
  private CompletableFuture<JsonObject> stream(String body) {
    return CompletableFuture.supplyAsync(() -> done(cluster.port(), body), clients);
  }

  /**
   * Waits until {@code count} streams are open on {@code workers} at once, each on its worker (a
   * stream being opened has none yet); the workers carrying them.
   */
  private Set<String> openStreamsOn(Set<String> workers, int count) {
    Set<String> carrying = new TreeSet<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      List<String> on = GatewayStatus.read(cluster.port()).getJsonArray("streams").stream()
          .map(o -> ((JsonObject) o).getString("worker")).filter(workers::contains).toList();
      carrying.clear();
      carrying.addAll(on);
      return on.size() == count;
    });
    return carrying;
  }

  /** The workers of {@code model} the gateway lists. */
  private List<JsonObject> workers(String model) throws Exception {
    return GatewayStatus.read(cluster.port()).getJsonArray("workers").stream().map(o -> (JsonObject) o)
        .filter(w -> model.equals(w.getString("model"))).toList();
  }

  /** The ids the worker process's instances logged as they started. */
  private static Set<String> loggedIds(Path log) throws Exception {
    return SERVING.matcher(Files.readString(log)).results().map(m -> m.group(1)).collect(Collectors.toSet());
  }

  /** The worker of each stream that ran to its length on {@code workerLog}'s instances, from the gateway's request log. */
  private static List<String> requestWorkers(Path log, Path workerLog) throws Exception {
    Set<String> ids = loggedIds(workerLog);
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      Matcher m = REQUEST.matcher(line);
      if (m.find() && ids.contains(m.group(1))) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  /** Streams one generation to its end; its done event. */
  private JsonObject done(int port, String body) {
    try {
      HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/v1/generate")).timeout(Duration.ofSeconds(60))
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
      assertThat(r.statusCode()).isEqualTo(200);
      String event = null;
      for (String line : (Iterable<String>) r.body()::iterator) {
        if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ") && "done".equals(event)) {
          return new JsonObject(line.substring(6));
        }
      }
      throw new AssertionError("the stream ended without done");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private String metrics(int opsPort) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + opsPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
