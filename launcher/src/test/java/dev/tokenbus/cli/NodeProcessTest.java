package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.bench.NodeLauncher;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker as its own process, as an operator runs it: it becomes ready, and SIGTERM ends it, leaving nothing behind. */
@Tag("cluster")
class NodeProcessTest {

  @TempDir
  Path dir;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static int status(HttpClient http, String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1; // not listening yet
    }
  }

  @Test
  void workerProcessBecomesReadyAndStopsCleanlyOnSigterm() throws Exception {
    int port = freePort();
    Path log = dir.resolve("worker.log");
    Process worker = NodeLauncher.classPath(TokenbusCommand.class).start(List.of("worker", "--model", "demo",
        "--threads", "1", "--cluster-name", "proc-" + System.nanoTime(), "--ops-port", Integer.toString(port),
        // created there on first use: a throwaway directory, never the user's own
        "--cluster-credentials", dir.resolve("cluster").toString()), log);
    try {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + port;
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> status(http, base + "/ready") == 200 || !worker.isAlive());
      assertThat(worker.isAlive()).as("worker running; log:%n%s", Files.readString(log)).isTrue();
      String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).contains("tokenbus_worker_slots 4.0");

      long t0 = System.nanoTime();
      worker.destroy(); // SIGTERM
      assertThat(worker.waitFor(20, TimeUnit.SECONDS)).as("exited after SIGTERM; log:%n%s", Files.readString(log))
          .isTrue();
      System.out.printf("worker stopped %d ms after SIGTERM%n", (System.nanoTime() - t0) / 1_000_000);
      assertThat(worker.descendants().count()).isZero();
      assertThat(Files.readString(log)).contains("shutting down").contains("engine stopped");
    } finally {
      worker.destroyForcibly();
    }
  }
}
