package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.bench.NodeLauncher;
import dev.tokenbus.cluster.ClusterCredentials;
import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import dev.tokenbus.worker.WorkerOptions;
import dev.tokenbus.worker.WorkerVerticle;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A gateway process killed with SIGKILL mid-stream: the worker notices through the cluster and frees the slot within 2 s. */
@Tag("engine")
@Tag("cluster")
class GatewayCrashTest {

  @TempDir
  Path dir;

  @Test
  void workerFreesTheSlotsOfAKilledGateway() throws Exception {
    String cluster = "crash-" + System.nanoTime();
    Path credentials = dir.resolve("cluster"); // throwaway, never the user's own
    ClusterCredentials.create(credentials);
    ClusterNode node = ClusterNode.start(ClusterOptions.isolated(cluster, credentials)).await(60, TimeUnit.SECONDS);
    LlamaEngine engine = LlamaEngine.start(EngineConfig.forModel(TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults()))
        .withThreads(1).withSlots(2));
    Process gateway = null;
    try {
      node.vertx().deployVerticle(WorkerVerticle.forNode(node, engine, WorkerOptions.defaults("tiny")))
          .await(30, TimeUnit.SECONDS);
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Path log = dir.resolve("gateway.log");
      gateway = NodeLauncher.classPath(TokenbusCommand.class).start(List.of("gateway", "--cluster-name", cluster,
          "--cluster-credentials", credentials.toString(), "--http-port", Integer.toString(port)), log);

      HttpClient http = HttpClient.newHttpClient();
      URI ready = URI.create("http://127.0.0.1:" + port + "/ready");
      Process gw = gateway;
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
        try {
          return http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding())
              .statusCode() == 200 || !gw.isAlive();
        } catch (java.io.IOException e) {
          return false;
        }
      });
      assertThat(gateway.isAlive()).as("gateway running; log:%n%s", Files.readString(log)).isTrue();

      HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/v1/generate")).POST(HttpRequest.BodyPublishers.ofString(
          "{\"prompt\":\"crash\",\"max_tokens\":5000,\"stream_delay_ms\":10}")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("event: token")) {
        // until the stream runs
      }
      assertThat(engine.stats().active()).isEqualTo(1);

      long t0 = System.nanoTime();
      gateway.destroyForcibly(); // SIGKILL: no goodbye, no CANCEL
      assertThat(gateway.waitFor(10, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
          .until(() -> engine.stats().active() == 0);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      System.out.println("slot freed " + ms + " ms after the gateway was killed");
      assertThat(ms).isLessThan(2000);
    } finally {
      if (gateway != null) {
        gateway.destroyForcibly();
      }
      node.close().await(30, TimeUnit.SECONDS);
      engine.close();
    }
  }
}
