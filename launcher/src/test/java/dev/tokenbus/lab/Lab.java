package dev.tokenbus.lab;

import dev.tokenbus.bench.NodeLauncher;
import dev.tokenbus.cli.TokenbusCommand;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A network lab for a test: {@code bin/tokenbus-lab} with hosts as network namespaces, each node
 * run from this build's class path. {@link #require()} skips the test, with the reason printed,
 * where namespaces cannot be made (not root, no {@code ip}); {@link #close()} removes everything
 * the lab made. Each test class takes its own {@code name} and {@code net} (the third octet of
 * 10.77.NET.0/24), so that labs of tests running side by side never meet.
 */
public final class Lab implements AutoCloseable {

  /** Gateways listen on this port, each on its own address. */
  public static final int HTTP_PORT = 8080;

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Path SCRIPT = repositoryRoot().resolve("bin/tokenbus-lab");

  private final String name;
  private final int net;
  private final Path dir;

  private Lab(String name, int net, Path dir) {
    this.name = name;
    this.net = net;
    this.dir = dir;
  }

  /** Skips the calling test, with the reason printed, where this machine cannot run a lab. */
  public static void require() {
    String why = whyNot();
    if (why != null) {
      System.out.println("network lab tests skipped: " + why);
      Assumptions.abort("network lab: " + why);
    }
  }

  /** Skips the calling test, with the reason printed, where delay and loss cannot be made here. */
  public static void requireShaping() {
    require();
    if (!Files.isExecutable(Path.of("/usr/sbin/iptables")) && !Files.isExecutable(Path.of("/sbin/iptables"))
        || !Files.exists(Path.of("/usr/include/libnetfilter_queue/libnetfilter_queue.h"))) {
      String why = "delay and loss need iptables and libnetfilter-queue-dev (.ci/run installs them)";
      System.out.println("network lab tests skipped: " + why);
      Assumptions.abort("network lab: " + why);
    }
  }

  private static String whyNot() {
    if (!System.getProperty("os.name").toLowerCase().contains("linux")) {
      return "network namespaces are Linux only";
    }
    try {
      Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String uid = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!"0".equals(uid)) {
        return "needs root to make network namespaces (uid " + uid + ")";
      }
      String probe = "tb-probe-" + ProcessHandle.current().pid();
      Process add = new ProcessBuilder("ip", "netns", "add", probe).redirectErrorStream(true).start();
      String out = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (add.waitFor() != 0) {
        return "cannot make a network namespace: " + out;
      }
      new ProcessBuilder("ip", "netns", "del", probe).start().waitFor();
      if (new ProcessBuilder("curl", "--version").start().waitFor() != 0) {
        return "no curl";
      }
      return null;
    } catch (IOException e) {
      return "cannot run ip: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /**
   * Makes the hosts and starts their nodes; returns once every gateway is ready and sees every worker.
   *
   * The lab keeps its state and each node's log in {@code target/lab/NAME/HOST/node.log} (kept
   * after the test, for reading when it failed; the next run of the lab replaces them).
   */
  public static Lab up(String name, int net, int gateways, int workers, Path model, String gatewayArgs,
      String workerArgs) throws IOException {
    Lab lab = new Lab(name, net, Path.of("target", "lab").toAbsolutePath());
    try {
      lab.run("up", "--gateways", Integer.toString(gateways), "--workers", Integer.toString(workers), "--model",
          model.toString(), "--gateway-args", gatewayArgs, "--worker-args", workerArgs);
    } catch (IOException | RuntimeException e) {
      lab.close();
      throw e;
    }
    return lab;
  }

  /** Runs {@code bin/tokenbus-lab <args>} for this lab; returns its output, or throws with it if it failed. */
  public String run(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(SCRIPT.toString(), "--lab", name, "--net", Integer.toString(net)));
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("TOKENBUS_LAB_DIR", dir.toString());
    pb.environment().put("TOKENBUS_LAB_NODE", String.join(" ", NodeLauncher.classPath(TokenbusCommand.class).command()));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("bin/tokenbus-lab " + String.join(" ", args) + " did not end in 300 s:\n" + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException("bin/tokenbus-lab " + String.join(" ", args) + " failed (" + p.exitValue() + "):\n" + out);
    }
    return out;
  }

  /** The host's address, e.g. 10.77.NET.1 for g1, 10.77.NET.101 for w1. */
  public String address(String host) {
    if (host.startsWith("g")) {
      return "10.77." + net + "." + Integer.parseInt(host.substring(1));
    }
    return "10.77." + net + "." + (100 + Integer.parseInt(host.substring(1)));
  }

  /** A gateway's HTTP base URL. */
  public String url(String gateway) {
    return "http://" + address(gateway) + ":" + HTTP_PORT;
  }

  /** The node's log. */
  public Path log(String host) {
    return dir.resolve(name).resolve(host).resolve("node.log");
  }

  /** The node's log as text (empty if there is none). */
  public String logText(String host) throws IOException {
    Path log = log(host);
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  /** The node's process id, or -1 when it has none running. */
  public long pid(String host) throws IOException {
    Path f = dir.resolve(name).resolve(host).resolve("pid");
    if (!Files.exists(f)) {
      return -1;
    }
    long pid = Long.parseLong(Files.readString(f).trim());
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent() ? pid : -1;
  }

  /**
   * Whether the host's node runs and has said it is ready (its {@code tokenbus ... ready} line)
   * since it was last started: its own start is over, whatever the cluster makes of it.
   */
  public boolean started(String host) throws IOException {
    if (pid(host) < 0) {
      return false;
    }
    String log = logText(host);
    String sinceStart = log.substring(Math.max(0, log.lastIndexOf("\n--- start ")));
    return sinceStart.contains("\ntokenbus worker ready") || sinceStart.contains("\ntokenbus is ready");
  }

  /** A gateway's {@code GET /v1/status}. */
  public JsonObject status(String gateway) throws IOException {
    return new JsonObject(get(gateway, "/v1/status"));
  }

  private String get(String gateway, String path) throws IOException {
    HttpRequest req = HttpRequest.newBuilder(URI.create(url(gateway) + path)).timeout(Duration.ofSeconds(5)).build();
    try {
      HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException(gateway + " " + path + " answered " + r.statusCode() + ": " + r.body());
      }
      return r.body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** A gateway's {@code GET /metrics} (Prometheus text). */
  public String metrics(String gateway) throws IOException {
    return get(gateway, "/metrics");
  }

  /** The workers a gateway lists as reachable. */
  public int reachableWorkers(String gateway) throws IOException {
    JsonArray workers = status(gateway).getJsonArray("workers");
    int n = 0;
    for (int i = 0; i < workers.size(); i++) {
      n += workers.getJsonObject(i).getBoolean("reachable", false) ? 1 : 0;
    }
    return n;
  }

  /** The lab host (e.g. {@code w2}) whose worker runs stream {@code streamId}, as {@code gateway} sees it; null if none. */
  public String workerHostOf(String gateway, String streamId) throws IOException {
    JsonObject s = status(gateway);
    String endpoint = null;
    for (Object o : s.getJsonArray("streams")) {
      JsonObject st = (JsonObject) o;
      if (streamId.equals(st.getString("id"))) {
        endpoint = st.getString("worker");
      }
    }
    String node = null;
    for (Object o : s.getJsonArray("workers")) {
      JsonObject w = (JsonObject) o;
      if (w.getString("id").equals(endpoint)) {
        node = w.getString("node");
      }
    }
    for (Object o : s.getJsonArray("members")) {
      JsonObject m = (JsonObject) o;
      if (m.getString("node").equals(node)) {
        String ip = m.getString("address").split(":")[0];
        return "w" + (Integer.parseInt(ip.substring(ip.lastIndexOf('.') + 1)) - 100);
      }
    }
    return null;
  }

  /**
   * The entry of {@code gateway}'s {@code /v1/status} {@code workers} for the worker on lab host
   * {@code host} (e.g. {@code w1}), or null when the gateway does not list it.
   */
  public JsonObject workerStatusOf(String gateway, String host) throws IOException {
    JsonObject s = status(gateway);
    String node = null;
    for (Object o : s.getJsonArray("members")) {
      JsonObject m = (JsonObject) o;
      if (m.getString("address").startsWith(address(host) + ":")) {
        node = m.getString("node");
      }
    }
    for (Object o : s.getJsonArray("workers")) {
      JsonObject w = (JsonObject) o;
      if (node != null && node.equals(w.getString("node"))) {
        return w;
      }
    }
    return null;
  }

  /** Removes the hosts and ends their nodes; logs stay in the lab's directory. */
  @Override
  public void close() {
    try {
      run("down");
    } catch (IOException e) {
      System.err.println("network lab " + name + ": down failed: " + e.getMessage());
    }
  }

  private static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("bin/tokenbus-lab"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("bin/tokenbus-lab not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }
}
