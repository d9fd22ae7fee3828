package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.bench.GatewayStatus;
import dev.tokenbus.bench.NodeLauncher;
import dev.tokenbus.cluster.ClusterCredentials;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway and a worker started at once by one user with no credential flags: the first creates
 * the credentials in the user's config directory (here a temporary {@code XDG_CONFIG_HOME}), the
 * other loads the same ones, and they form a TLS cluster in which the worker serves.
 */
@Tag("cluster")
class ZeroConfigClusterProcessTest {

  @TempDir
  Path dir;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void gatewayAndWorkerNeedNoFlagsOnOneMachine() throws Exception {
    Path config = dir.resolve("config");
    Map<String, String> env = Map.of("XDG_CONFIG_HOME", config.toString());
    int http = freePort();
    // A cluster port of its own only keeps this test apart from others running on this machine.
    List<String> apart = List.of("--cluster-port", Integer.toString(freePort()));
    List<Process> nodes = new ArrayList<>();
    Path gatewayLog = dir.resolve("gateway.log");
    Path workerLog = dir.resolve("worker.log");
    try {
      List<String> gw = new ArrayList<>(List.of("gateway", "--http-port", Integer.toString(http)));
      gw.addAll(apart);
      List<String> wk = new ArrayList<>(List.of("worker", "--model", "demo", "--threads", "1", "--slots", "1"));
      wk.addAll(apart);
      nodes.add(NodeLauncher.classPath(TokenbusCommand.class).start(gw, gatewayLog, env));
      nodes.add(NodeLauncher.classPath(TokenbusCommand.class).start(wk, workerLog, env));
      GatewayStatus.awaitWorkers(http, 1, Duration.ofSeconds(120), () -> nodes.stream().allMatch(Process::isAlive)
          ? null : "a node exited; gateway:\n" + read(gatewayLog) + "\nworker:\n" + read(workerLog));

      Path credentials = config.resolve("tokenbus/cluster");
      ClusterCredentials c = ClusterCredentials.load(credentials);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(credentials))).isEqualTo("rwx------");
      String fingerprint = c.fingerprint().substring(0, 16);
      String tls = "event bus TLS \\((BoringSSL|JDK)\\) with mutual authentication, CA " + fingerprint;
      assertThat(read(gatewayLog)).containsPattern(tls);
      assertThat(read(workerLog)).containsPattern(tls);
      assertThat(read(gatewayLog) + read(workerLog)).containsOnlyOnce("created new cluster credentials");
      await().atMost(Duration.ofSeconds(30)).until(() -> GatewayStatus.read(http).getJsonArray("members").stream()
          .map(JsonObject.class::cast).anyMatch(m -> "trusted".equals(m.getString("trust"))));
      JsonObject status = GatewayStatus.read(http);
      assertThat(status.getJsonArray("members")).singleElement().satisfies(m -> {
        JsonObject member = (JsonObject) m;
        assertThat(member.getString("role")).isEqualTo("worker");
        assertThat(member.getString("model")).isEqualTo("tokenbus-demo");
        assertThat(member.getString("trust")).isEqualTo("trusted");
      });
      assertThat(read(gatewayLog)).contains("cluster member authenticated: worker 'tokenbus-demo'");
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
