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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One worker process with {@code --instances 3} behind a gateway process: the gateway sees three
 * distinct workers of the model on one node, spreads concurrent streams over them, and loses all
 * three when the process stops (SIGTERM drains every instance).
 */
@Tag("cluster")
class WorkerInstancesProcessTest {

  private static final int INSTANCES = 3;
  private static final int SLOTS = 2;
  private static final int STREAMS = 4; // more than one instance's slots
  private static final Pattern SERVING = Pattern.compile("worker (tokenbus\\.worker\\.[0-9a-f-]+) serving model");
  private static final Pattern REQUEST = Pattern.compile("request id=\\S+ model=\\S+ worker=(\\S+) .*finish=length");

  @TempDir
  Path logs;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void oneProcessServesAsSeveralWorkersAndTakesThemAllAwayWhenItStops() throws Exception {
    int opsPort = freePort();
    List<String> workerArgs = new ArrayList<>(LocalCluster.workerArgs(
        TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults()), 1, SLOTS));
    workerArgs.addAll(List.of("--instances", Integer.toString(INSTANCES), "--ops-port", Integer.toString(opsPort)));
    try (LocalCluster cluster = LocalCluster.start(NodeLauncher.classPath(TokenbusCommand.class), 1, workerArgs,
            List.of(), logs);
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      Path workerLog = cluster.workerLog(0);

      // Three workers of one model on one node, each the one its instance logged at start.
      GatewayStatus.awaitWorkers(cluster.port(), INSTANCES, Duration.ofSeconds(60), () -> null);
      List<JsonObject> workers = workers(cluster.port());
      assertThat(workers).hasSize(INSTANCES);
      assertThat(workers.stream().map(w -> w.getString("id")).collect(Collectors.toSet()))
          .isEqualTo(loggedIds(workerLog));
      assertThat(workers.stream().map(w -> w.getString("node")).distinct()).hasSize(1);
      assertThat(workers.stream().map(w -> w.getString("model")).distinct()).hasSize(1).doesNotContainNull();
      assertThat(workers).allSatisfy(w -> assertThat(w.getInteger("slots")).isEqualTo(SLOTS));
      await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(workerLog).contains(
          "tokenbus worker ready: model '" + workers.getFirst().getString("model") + "', " + INSTANCES + " instances"));
      // The node's engine gauges are the sum over its instances.
      assertThat(metrics(opsPort)).contains("tokenbus_worker_slots " + (double) (INSTANCES * SLOTS));

      // Concurrent streams: more than one instance's slots, so more than one instance carries them.
      List<CompletableFuture<JsonObject>> streams = new ArrayList<>();
      for (int i = 0; i < STREAMS; i++) {
        String body = "{\"prompt\":\"instance stream " + i + "\",\"max_tokens\":60,\"stream_delay_ms\":20,"
            + "\"temperature\":0}";
        streams.add(CompletableFuture.supplyAsync(() -> done(cluster.port(), body), clients));
      }
      Set<String> carrying = new TreeSet<>();
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        // All open at once, each on its worker (a stream being opened has none yet).
        List<String> on = GatewayStatus.read(cluster.port()).getJsonArray("streams").stream()
            .map(o -> ((JsonObject) o).getString("worker")).toList();
        carrying.clear();
        on.stream().filter(java.util.Objects::nonNull).forEach(carrying::add);
        return on.size() == STREAMS && !on.contains(null);
      });
      assertThat(carrying).hasSizeGreaterThan(1).isSubsetOf(loggedIds(workerLog));
      for (CompletableFuture<JsonObject> s : streams) {
        assertThat(s.get(60, TimeUnit.SECONDS).getString("finish_reason")).isEqualTo("length");
      }
      // The gateway's request log names the instance of each finished stream.
      Path gatewayLog = logs.resolve("gateway.log");
      await().atMost(Duration.ofSeconds(10)).until(() -> requestWorkers(gatewayLog).size() == STREAMS);
      assertThat(Set.copyOf(requestWorkers(gatewayLog))).hasSizeGreaterThan(1).isSubsetOf(loggedIds(workerLog));

      // SIGTERM: every instance drains, the process exits, and the gateway lists none of its workers.
      Process worker = cluster.worker(0);
      long t0 = System.nanoTime();
      worker.destroy();
      assertThat(worker.waitFor(30, TimeUnit.SECONDS)).as("exited after SIGTERM; log:%n%s",
          Files.readString(workerLog)).isTrue();
      System.out.printf("worker process with %d instances stopped %d ms after SIGTERM%n", INSTANCES,
          (System.nanoTime() - t0) / 1_000_000);
      assertThat(Pattern.compile("draining: the worker is shutting down").matcher(Files.readString(workerLog))
          .results().count()).isEqualTo(INSTANCES);
      await().atMost(Duration.ofSeconds(20)).until(() -> workers(cluster.port()).isEmpty());
    }
  }

  /** The workers the gateway lists. */
  private static List<JsonObject> workers(int port) throws Exception {
    return GatewayStatus.read(port).getJsonArray("workers").stream().map(o -> (JsonObject) o).toList();
  }

  /** The ids the worker process's instances logged as they started. */
  private static Set<String> loggedIds(Path log) throws Exception {
    return SERVING.matcher(Files.readString(log)).results().map(m -> m.group(1)).collect(Collectors.toSet());
  }

  /** The worker of each stream that ran to its length, from the gateway's request log. */
  private static List<String> requestWorkers(Path log) throws Exception {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      Matcher m = REQUEST.matcher(line);
      if (m.find()) {
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
