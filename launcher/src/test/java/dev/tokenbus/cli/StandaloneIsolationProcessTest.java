package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.bench.GatewayStatus;
import dev.tokenbus.bench.NodeLauncher;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two people on one machine each run {@code tokenbus standalone}, even with the same cluster port:
 * the nodes never see each other (each serves its own worker only, lists no member) and neither
 * listens on a cluster port.
 */
@Tag("cluster")
class StandaloneIsolationProcessTest {

  @TempDir
  Path dir;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void twoStandaloneNodesNeverSeeEachOther() throws Exception {
    int clusterPort = freePort(); // the same for both: a cluster would form on it if they joined one
    List<Process> nodes = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        int port = freePort();
        Path log = dir.resolve("standalone-" + i + ".log");
        nodes.add(NodeLauncher.classPath(TokenbusCommand.class).start(List.of("standalone", "--model", "demo",
            "--threads", "1", "--slots", "1", "--http-port", Integer.toString(port), "--cluster-port",
            Integer.toString(clusterPort), "--model-name", "mine-" + i), log));
        ports.add(port);
        logs.add(log);
      }
      for (int i = 0; i < 2; i++) {
        int n = i;
        GatewayStatus.awaitWorkers(ports.get(i), 1, Duration.ofSeconds(120),
            () -> nodes.get(n).isAlive() ? null : "standalone " + n + " exited: " + read(logs.get(n)));
      }
      // Each sees its own worker only, for as long as both run; neither lists a member.
      for (int i = 0; i < 2; i++) {
        JsonObject status = GatewayStatus.read(ports.get(i));
        assertThat(status.getJsonArray("workers")).hasSize(1);
        assertThat(status.getJsonArray("workers").getJsonObject(0).getString("model")).isEqualTo("mine-" + i);
        assertThat(status.getJsonArray("members")).isEmpty();
        assertThat(read(logs.get(i))).contains("no cluster, no cluster port").doesNotContain("Members {");
      }
      // Nothing listens on the cluster port.
      await().atMost(Duration.ofSeconds(5)).until(() -> {
        try (Socket s = new Socket("127.0.0.1", clusterPort)) {
          return false;
        } catch (ConnectException e) {
          return true;
        }
      });
    } finally {
      for (Process p : nodes) {
        p.destroy();
      }
      for (Process p : nodes) {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
