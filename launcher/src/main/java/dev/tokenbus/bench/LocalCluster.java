package dev.tokenbus.bench;

import dev.tokenbus.cluster.ClusterCredentials;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One gateway (or several, {@link #startStaged}) and some workers as separate processes on loopback,
 * in a cluster of their own (its name, its ports and throwaway credentials in a temporary directory,
 * never the user's). They start together; {@link #start} returns once the gateway sees every worker.
 * Closing stops them all (SIGTERM, then SIGKILL for any that lingers), and so does this JVM's exit.
 * The processes are the gateways first, then the workers.
 */
public final class LocalCluster implements AutoCloseable {

  /** Four JVMs starting at once on two cores take a while; a broken one is noticed at once instead. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  /** How a node says that a port it was given is taken (in the log tail a failed start carries). */
  private static final String PORT_TAKEN = "Address already in use";
  private static final int PORT_ATTEMPTS = 3;
  private static final java.util.regex.Pattern WORKER_ID =
      java.util.regex.Pattern.compile("worker (tokenbus\\.worker\\.[0-9a-f-]+) serving");

  private final List<Integer> ports;
  private final List<Process> nodes = new CopyOnWriteArrayList<>(); // read by the shutdown hook too
  private final List<Path> logs = new ArrayList<>();
  private final Thread reaper = new Thread(this::kill, "tokenbus-local-cluster-reaper");
  private Path credentials; // a temporary directory, removed on close
  private NodeLauncher launcher;
  private List<String> clusterArgs;
  private Path logDir;
  private long joinNanos = -1;

  private LocalCluster(List<Integer> ports) {
    this.ports = List.copyOf(ports);
  }

  /**
   * Starts the nodes.
   *
   * @param workerArgs arguments of every worker (model, threads, slots)
   * @param gatewayArgs arguments of the gateway beside its port
   * @param logDir where each node's output goes ({@code gateway.log}, {@code worker-N.log}), or null for nowhere
   */
  public static LocalCluster start(NodeLauncher launcher, int workers, List<String> workerArgs,
      List<String> gatewayArgs, Path logDir) throws Exception {
    return start(launcher, workers, workerArgs, gatewayArgs, logDir, true);
  }

  /**
   * Starts the nodes, with a TLS event bus or (for measuring what TLS costs) a plain-text one.
   *
   * @see #start(NodeLauncher, int, List, List, Path)
   */
  public static LocalCluster start(NodeLauncher launcher, int workers, List<String> workerArgs,
      List<String> gatewayArgs, Path logDir, boolean tls) throws Exception {
    return start(launcher, launcher, 1, workers, workers, i -> workerArgs, gatewayArgs, logDir, tls, false);
  }

  /**
   * Starts {@code gateways} gateways, waits until each answers, then starts {@code workerProcesses}
   * worker processes and times how long it takes until every gateway lists {@code workers} workers
   * ({@link #joinMillis}): a process may carry several ({@code --instances} in {@code workerArgs}).
   *
   * @param workerArgs arguments of worker process i (from 0)
   * @param logDir where each node's output goes ({@code gateway-N.log}, {@code worker-N.log}), or null
   */
  public static LocalCluster startStaged(NodeLauncher gatewayLauncher, NodeLauncher workerLauncher, int gateways,
      int workerProcesses, int workers, java.util.function.IntFunction<List<String>> workerArgs,
      List<String> gatewayArgs, Path logDir, boolean tls) throws Exception {
    return start(gatewayLauncher, workerLauncher, gateways, workerProcesses, workers, workerArgs, gatewayArgs, logDir,
        tls, true);
  }

  /**
   * Starts the nodes; again, on other ports, when a node could not bind a port picked free (another
   * process, or a port the OS gave a node's event bus meanwhile, took it before the node bound it).
   */
  private static LocalCluster start(NodeLauncher gatewayLauncher, NodeLauncher workerLauncher, int gateways,
      int workerProcesses, int workers, java.util.function.IntFunction<List<String>> workerArgs,
      List<String> gatewayArgs, Path logDir, boolean tls, boolean staged) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(gatewayLauncher, workerLauncher, gateways, workerProcesses, workers, workerArgs, gatewayArgs, logDir, tls, staged);
      } catch (IllegalStateException e) {
        if (attempt == PORT_ATTEMPTS || e.getMessage() == null || !e.getMessage().contains(PORT_TAKEN)) {
          throw e;
        }
      }
    }
  }

  private static LocalCluster startOnce(NodeLauncher gatewayLauncher, NodeLauncher workerLauncher, int gateways,
      int workerProcesses, int workers, java.util.function.IntFunction<List<String>> workerArgs,
      List<String> gatewayArgs, Path logDir, boolean tls, boolean staged) throws Exception {
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < gateways; i++) {
      ports.add(freePort());
    }
    LocalCluster c = new LocalCluster(ports);
    Runtime.getRuntime().addShutdownHook(c.reaper);
    try {
      // A name and ports of its own: other clusters on this host (the default one on 5701, other tests) stay apart.
      String name = "local-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
      c.credentials = Files.createTempDirectory("tokenbus-local-cluster");
      Path credentials = c.credentials.resolve("cluster");
      ClusterCredentials.create(credentials);
      List<String> cluster = List.of("--cluster-name", name, "--cluster-port", Integer.toString(freePort()),
          "--cluster-credentials", credentials.toString(), "--cluster-tls", Boolean.toString(tls));
      c.launcher = workerLauncher;
      c.clusterArgs = cluster;
      c.logDir = logDir;
      for (int i = 0; i < gateways; i++) {
        List<String> gw = new ArrayList<>(List.of("gateway", "--http-port", Integer.toString(ports.get(i))));
        gw.addAll(cluster);
        gw.addAll(gatewayArgs);
        c.spawn(gatewayLauncher, gw, logDir, gateways == 1 ? "gateway.log" : "gateway-" + (i + 1) + ".log");
      }
      if (staged) {
        for (int port : ports) {
          GatewayStatus.await(port, s -> true, "gateway", START_TIMEOUT, c::exited);
        }
      }
      long t0 = System.nanoTime();
      for (int i = 1; i <= workerProcesses; i++) {
        List<String> w = new ArrayList<>(List.of("worker"));
        w.addAll(cluster);
        w.addAll(workerArgs.apply(i - 1));
        c.spawn(workerLauncher, w, logDir, "worker-" + i + ".log");
      }
      for (int port : ports) {
        GatewayStatus.awaitWorkers(port, workers, START_TIMEOUT, c::exited);
      }
      c.joinNanos = System.nanoTime() - t0;
      return c;
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  /** A worker's arguments for a model file, its decode threads and its slots. */
  public static List<String> workerArgs(Path model, int threads, int slots) {
    return List.of("--model", model.toString(), "--threads", Integer.toString(threads), "--slots",
        Integer.toString(slots));
  }

  /** The (first) gateway's HTTP port. */
  public int port() {
    return ports.getFirst();
  }

  /** Every gateway's HTTP port, in start order. */
  public List<Integer> ports() {
    return ports;
  }

  /** Gateway {@code i}'s process (from 0, as {@link #ports}). */
  public Process gateway(int i) {
    return nodes.get(i);
  }

  /**
   * The time from starting the worker processes to every gateway listing all workers, in ms: the
   * whole start for {@link #start} (gateways and workers start together), the workers' join for
   * {@link #startStaged}.
   */
  public double joinMillis() {
    return joinNanos / 1e6;
  }

  /**
   * Starts one more worker with {@code workerArgs} and returns its index (see {@link #worker}) once the
   * gateway lists it. Needs a log directory: the worker's id is read from its log.
   *
   * @throws IllegalStateException when it exits first, or is not listed within the start timeout
   */
  public int addWorker(List<String> workerArgs) throws Exception {
    if (logDir == null) {
      throw new IllegalStateException("the cluster was started without a log directory");
    }
    int i = nodes.size() - ports.size();
    List<String> w = new ArrayList<>(List.of("worker"));
    w.addAll(clusterArgs);
    w.addAll(workerArgs);
    spawn(launcher, w, logDir, "worker-" + (i + 1) + ".log");
    Process p = worker(i);
    GatewayStatus.await(port(), s -> {
      String id = loggedId(i);
      return id != null && s.getJsonArray("workers").stream()
          .anyMatch(o -> o instanceof io.vertx.core.json.JsonObject j && id.equals(j.getString("id")));
    }, "worker " + i, START_TIMEOUT, () -> p.isAlive() ? null
        : "worker " + i + " exited with status " + p.exitValue() + tail(workerLog(i)));
    return i;
  }

  /** Worker {@code i}'s process (from 0), for tests that kill or stop it. */
  public Process worker(int i) {
    return nodes.get(ports.size() + i);
  }

  /** Worker {@code i}'s log file (0-based, as {@link #worker}), or null without a log directory. */
  public Path workerLog(int i) {
    return logs.get(ports.size() + i);
  }

  /** Worker {@code i}'s id in the gateway's {@code /v1/status}, from the line its log starts with; needs a log directory. */
  public String workerId(int i) throws IOException {
    Path log = workerLog(i);
    if (log == null) {
      throw new IllegalStateException("the cluster was started without a log directory");
    }
    String id = loggedId(i);
    if (id == null) {
      throw new IllegalStateException("worker " + i + " has not logged its id" + tail(log));
    }
    return id;
  }

  /** Worker {@code i}'s id as its log states it, or null before it did (or without a log). */
  private String loggedId(int i) {
    Path log = workerLog(i);
    try {
      java.util.regex.Matcher m = WORKER_ID.matcher(log == null ? "" : Files.readString(log));
      return m.find() ? m.group(1) : null;
    } catch (IOException e) {
      return null;
    }
  }

  private void spawn(NodeLauncher launcher, List<String> args, Path logDir, String logName) throws IOException {
    Path log = logDir == null ? null : logDir.resolve(logName);
    nodes.add(launcher.start(args, log));
    logs.add(log);
  }

  /** A node that exited, with its log's tail, or null while all run. */
  private String exited() {
    for (int i = 0; i < nodes.size(); i++) {
      Process p = nodes.get(i);
      if (!p.isAlive()) {
        return "a node exited with status " + p.exitValue() + tail(logs.get(i));
      }
    }
    return null;
  }

  private static String tail(Path log) {
    try {
      if (log == null) {
        return "";
      }
      List<String> lines = Files.readAllLines(log);
      return "; " + log + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  /** A port free on this host now. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    for (Process p : nodes) {
      p.destroy(); // SIGTERM: nodes leave the cluster cleanly, which spares the others a 5 s timeout
    }
    try {
      for (Process p : nodes) {
        p.waitFor(15, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      kill();
      deleteTree(credentials);
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException e) {
        // this JVM is exiting already: the hook runs anyway
      }
    }
  }

  private static void deleteTree(Path dir) {
    if (dir == null) {
      return;
    }
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is harmless
    }
  }

  private void kill() {
    nodes.forEach(Process::destroyForcibly);
  }
}
