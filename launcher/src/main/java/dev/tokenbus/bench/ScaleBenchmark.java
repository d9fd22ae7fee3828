package dev.tokenbus.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * What each stream costs the gateway and the bus as workers (W), gateways (G) and streams (N) grow,
 * on simulated workers (no weights: {@code --model simulated}, a decode step every
 * {@code --sim-itl-ms}). Per cluster (TLS on or off, G gateway processes, one worker process
 * carrying W workers), for each N: open N SSE streams from this process, spread over the gateways,
 * and measure over a window in which every stream is running:
 * <ul>
 *   <li>gateway CPU seconds per 1,000 tokens relayed (utime + stime of the gateway processes over
 *       the window / tokens the client received in it);
 *   <li>gateway heap per open stream (after a full GC: with N open minus before any was opened);
 *   <li>dispatch latency p50/p99 from the gateways' {@code tokenbus_dispatch_latency_seconds}
 *       histogram (request taken by the dispatcher to the worker's ACCEPT), over the window, of
 *       {@link #PROBES_PER_SECOND} one-token probe streams opened while the N streams run: the
 *       latency a new request sees with N open and W workers, not the backlog of opening N at once;
 *   <li>added inter-token latency at the client: each gap between two of a stream's tokens within the
 *       window minus the simulated ITL, p50/p99 over all streams;
 *   <li>event-bus bytes and messages per token at the gateways (Vert.x's metrics, read and written);
 *   <li>Hazelcast operations per stream opened (all nodes, over the opening) and per second (window);
 *   <li>cluster join time: worker process start until every gateway lists all W workers;
 *   <li>status traffic: worker announcements per second and their bytes per second at one gateway;
 *   <li>the CPU share of the gateways, the worker process and this client, to show what is saturated.
 * </ul>
 * Slow streams run at one token per second ({@code --sim-itl-ms 1000}): a step emits one token for
 * every running stream at once, so there is no pacing jitter to subtract; or, with
 * {@code phasedStepMs}, each is paced to one token a second by its own {@code stream_delay_ms}
 * on workers stepping every few ms, out of phase with the others (the step adds up to its length). Fast streams measure
 * throughput. A point the machine cannot hold (streams not all open in time, a node that dies) is
 * reported as such, and larger N on that cluster are skipped. Every wait has a timeout.
 *
 * <p>With {@link Floor}, each slow N is also measured against the floor: an {@link SseFloorServer}
 * process in the gateway's place (the same wire format, no bus, no worker, no dispatch), with the same
 * client, warm-up, settling and window, its tokens in phase or, with {@code phasedStepMs}, each stream
 * paced from its own start. Its added ITL is what this machine and client add by themselves. Its row
 * has no dispatch probes, bus, Hazelcast or status figures; the server's CPU, heap and GC pauses stand
 * in the gateway's columns.
 */
public final class ScaleBenchmark {

  /** Context per sequence of the slow streams' workers. */
  static final int SLOW_CONTEXT = 512;
  /** Streams opened per second per point (connections to the gateways). */
  public static final int DEFAULT_OPEN_RATE = 500;

  /** The one-token warm-up requests go at least this many a second. */
  static final int WARM_UP_RATE = 2_000;

  /** The most one-token warm-up requests in flight at once. */
  static final int WARM_UP_IN_FLIGHT = 1_000;

  /** The clusters and floor servers already JIT-warmed: each N after the first on one finds it warm. */
  private final java.util.Set<AutoCloseable> jitWarm = java.util.Collections.newSetFromMap(
      new java.util.IdentityHashMap<>());

  /** {@link Options#warmUpRequests}' default: enough for the JIT's second tier (C2) on the request path. */
  public static final int DEFAULT_WARM_UP_REQUESTS = 10_000;
  private static final String PROMPT = "Once upon a time";
  /** Batch tokens per slot: one generated token and a short prompt's. */
  private static final int BATCH_PER_SLOT = 16;
  /**
   * Short streams opened a second during the window, whose dispatch latency is measured: 200 in a
   * 10 s window, so that the p99 is not simply the slowest of a few dozen.
   */
  static final int PROBES_PER_SECOND = 20;
  /**
   * Slots per worker beyond its share of the N streams, for the probes: each holds one for up to two
   * steps (admitted at a step's start, its token at the next one's end), 40 at once at 1 s a step.
   */
  private static final int PROBE_SLOTS = 48;
  private static final int PROMPT_MARGIN = 64;
  private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(120);
  static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");

  /**
   * What to measure.
   *
   * @param workers worker counts W (one process carrying W, or W processes: {@code processPerWorker})
   * @param gateways gateway process counts G
   * @param streams slow stream counts N (one token a second each); may be empty
   * @param fastStreams fast stream counts (throughput); may be empty
   * @param tls the bus modes to run, in order (true: TLS)
   * @param windowSeconds length of the measuring window
   * @param slowItlMs the slow workers' decode step
   * @param fastItlMs the fast workers' decode step
   * @param openRate streams opened a second
   * @param warmUpRequests one-token requests sent through each cluster (and the floor server)
   *     before it is measured, so that the window sees the JIT-compiled code a running gateway
   *     has, not the first thousand requests' interpreted and lightly compiled code
   * @param phasedStepMs 0: the slow streams' workers step once per {@code slowItlMs}, every stream's
   *     token in the same step (a real engine's batch, all in phase); above 0: they step every
   *     {@code phasedStepMs} and each stream is paced to {@code slowItlMs} by its own
   *     {@code stream_delay_ms} from its own start, out of phase with the others (independent clients)
   * @param processPerWorker W worker processes of one worker each instead of one process with
   *     {@code --instances W}
   * @param floor whether the floor is measured too (at each slow N), or alone
   * @param gatewayArgs more arguments of every gateway
   * @param gatewayJvmFlags JVM flags of the gateways' and the floor server's processes after this
   *     process's (a collector named here replaces this process's): a gateway's settings tried
   *     under the same load and client
   * @param workerJvmFlags the same for the simulated workers' processes
   * @param logDir where the nodes' logs go, or null
   * @param svgDir where the cost curves go, or null for none
   * @param profiler samples each gateway (and the floor server) over each window, or null for none
   * @param dispatchTrace where the gateways and workers stamp each dispatch's hops
   *     ({@link dev.tokenbus.trace.DispatchTrace}), split after each window ({@link DispatchSplit}),
   *     or null for none
   */
  public record Options(List<Integer> workers, List<Integer> gateways, List<Integer> streams,
      List<Integer> fastStreams, List<Boolean> tls, int windowSeconds, int slowItlMs, int fastItlMs, int openRate,
      int warmUpRequests, int phasedStepMs, boolean processPerWorker, Floor floor, List<String> gatewayArgs,
      List<String> gatewayJvmFlags, List<String> workerJvmFlags, NodeLauncher nodes, Path logDir, Path svgDir,
      WindowProfiler profiler, Path dispatchTrace) {

    public Options {
      workers = positive("workers", workers);
      gateways = positive("gateways", gateways);
      streams = List.copyOf(streams);
      fastStreams = List.copyOf(fastStreams);
      streams.forEach(n -> positive("streams", List.of(n)));
      fastStreams.forEach(n -> positive("fast-streams", List.of(n)));
      if (streams.isEmpty() && fastStreams.isEmpty()) {
        throw new IllegalArgumentException("streams and fast-streams are both empty: nothing to measure");
      }
      if (tls.isEmpty()) {
        throw new IllegalArgumentException("no TLS mode to run");
      }
      tls = List.copyOf(tls);
      check(windowSeconds >= 1 && windowSeconds <= 3600, "window-seconds must be between 1 and 3600, got "
          + windowSeconds);
      check(slowItlMs >= 1 && slowItlMs <= 10_000, "slow-itl-ms must be between 1 and 10000, got " + slowItlMs);
      check(fastItlMs >= 1 && fastItlMs <= 10_000, "fast-itl-ms must be between 1 and 10000, got " + fastItlMs);
      check(openRate >= 1 && openRate <= 100_000, "open-rate must be between 1 and 100000, got " + openRate);
      check(warmUpRequests >= 0 && warmUpRequests <= 1_000_000,
          "warm-up-requests must be between 0 and 1000000, got " + warmUpRequests);
      check(phasedStepMs >= 0 && (phasedStepMs == 0 || phasedStepMs < slowItlMs),
          "phased-step-ms must be 0 or between 1 and slow-itl-ms - 1, got " + phasedStepMs);
      check(floor == Floor.OFF || !streams.isEmpty(), "the floor is measured on slow streams: give streams");
      gatewayArgs = List.copyOf(gatewayArgs);
      gatewayJvmFlags = withTrace(gatewayJvmFlags, dispatchTrace);
      workerJvmFlags = withTrace(workerJvmFlags, dispatchTrace);
    }

    private static List<String> withTrace(List<String> flags, Path dispatchTrace) {
      if (dispatchTrace == null) {
        return List.copyOf(flags);
      }
      List<String> out = new ArrayList<>(flags);
      out.add("-D" + dev.tokenbus.trace.DispatchTrace.PROPERTY + "=" + dispatchTrace.toAbsolutePath());
      return List.copyOf(out);
    }

    private static List<Integer> positive(String what, List<Integer> values) {
      if (values.isEmpty()) {
        throw new IllegalArgumentException(what + ": give at least one value");
      }
      for (int v : values) {
        check(v >= 1 && v <= 100_000, what + " must be between 1 and 100000, got " + v);
      }
      return List.copyOf(values);
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  /** Whether the floor ({@link SseFloorServer}) is measured, at each slow stream count. */
  public enum Floor {
    /** The clusters only. */
    OFF,
    /** The floor's rows first, then the clusters'. */
    ALSO,
    /** The floor's rows only: no cluster is started. */
    ONLY
  }

  /**
   * One point's figures (NaN where not measured).
   *
   * @param floor a row of the floor server: {@code gateways} 1 and {@code workers} 0, the server's
   *     figures in the gateway's columns ({@code tls} means nothing there)
   * @param itlMs each stream's interval between tokens
   * @param stepMs the workers' decode step: {@code itlMs} when every stream's token comes in the same
   *     step, less when streams are paced out of phase; 0 for the floor's streams paced each on a timer
   *     of its own
   * @param gatewayGc the gateways' stop-the-world GC pauses in the window (all gateways together)
   * @param workerGc the worker processes' pauses in the window
   * @param clientGc this client's pauses in the window: a pause anywhere on the path delays every
   *     token that falls into it, so the added ITL's tail is read against these
   * @param problem why the point is missing or incomplete, or null
   */
  public record Row(boolean tls, boolean floor, int gateways, int workers, int streams, int itlMs, boolean fast,
      int stepMs, long tokens, double seconds, double cpuPerKiloToken, double heapPerStreamBytes, double dispatchP50Ms,
      double dispatchP99Ms, long dispatched, double addedItlP50Ms, double addedItlP99Ms, double busBytesPerToken,
      double busMessagesPerToken, double hzOpsPerStream, double hzOpsPerSecond, double joinMs, double statusPerSecond,
      double statusBytesPerSecond, double gatewayCpuPercent, double workerCpuPercent, double clientCpuPercent,
      GcPauses gatewayGc, GcPauses workerGc, GcPauses clientGc, double gatewayLoopWaitMsPerSecond, int failed,
      String problem) {

    double tokensPerSecond() {
      return tokens / seconds;
    }

    static Row missing(boolean tls, int g, int w, int n, int itlMs, boolean fast, int stepMs, double joinMs,
        String problem) {
      return missing(tls, false, g, w, n, itlMs, fast, stepMs, joinMs, problem);
    }

    /** The floor's point at {@code n} streams, missing. */
    static Row floorMissing(int n, int itlMs, int stepMs, String problem) {
      return missing(false, true, 1, 0, n, itlMs, false, stepMs, Double.NaN, problem);
    }

    private static Row missing(boolean tls, boolean floor, int g, int w, int n, int itlMs, boolean fast, int stepMs,
        double joinMs, String problem) {
      double nan = Double.NaN;
      return new Row(tls, floor, g, w, n, itlMs, fast, stepMs, 0, nan, nan, nan, nan, nan, 0, nan, nan, nan, nan, nan,
          nan, joinMs, nan, nan, nan, nan, nan, GcPauses.NONE, GcPauses.NONE, GcPauses.NONE, nan, 0, problem);
    }
  }

  /** Stop-the-world GC pauses over a window: how many, and their total. */
  public record GcPauses(long count, double totalMs) {
    static final GcPauses NONE = new GcPauses(0, Double.NaN);

    double meanMs() {
      return count == 0 ? 0 : totalMs / count;
    }

    /** From the {@code jvm_gc_pause_seconds} timers of two scrapes (Micrometer's, of every node). */
    static GcPauses between(PrometheusText before, PrometheusText after) {
      return new GcPauses(Math.round(delta(before, after, "jvm_gc_pause_seconds_count")),
          delta(before, after, "jvm_gc_pause_seconds_sum") * 1000);
    }

    GcPauses minus(GcPauses other) {
      return new GcPauses(count - other.count, totalMs - other.totalMs);
    }

    /** This JVM's collections so far, concurrent cycles left out (they do not stop the application). */
    static GcPauses ofThisJvm() {
      long count = 0;
      long ms = 0;
      for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
        if (!gc.getName().contains("Concurrent") && gc.getCollectionCount() > 0) {
          count += gc.getCollectionCount();
          ms += gc.getCollectionTime();
        }
      }
      return new GcPauses(count, ms);
    }
  }

  private final Options options;
  private final PrintStream out;
  private final List<Row> rows = new ArrayList<>();

  public ScaleBenchmark(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Runs every point, printing a row as each ends, then the curves when asked; returns the rows. */
  public List<Row> run() throws Exception {
    out.printf(Locale.ROOT, "bench scale: %d cores here (nodes and client share them); window %d s; slow streams"
        + " at %d ms a token, fast at %d ms; %d streams opened a second%n%n", Runtime.getRuntime().availableProcessors(),
        options.windowSeconds(), options.slowItlMs(), options.fastItlMs(), options.openRate());
    out.println(header());
    if (options.floor() != Floor.OFF) {
      floor();
    }
    for (boolean tls : options.floor() == Floor.ONLY ? List.<Boolean>of() : options.tls()) {
      for (int g : options.gateways()) {
        for (int w : options.workers()) {
          if (!options.streams().isEmpty()) {
            cluster(tls, g, w, options.streams(), options.slowItlMs(), false);
          }
          if (!options.fastStreams().isEmpty()) {
            cluster(tls, g, w, options.fastStreams(), options.fastItlMs(), true);
          }
        }
      }
    }
    if (options.svgDir() != null) {
      List<Path> written = ScaleCharts.write(rows, options.svgDir());
      out.println();
      written.forEach(p -> out.println("chart: " + p));
    }
    return List.copyOf(rows);
  }

  /** One cluster, and each stream count on it in turn. */
  private void cluster(boolean tls, int g, int w, List<Integer> counts, int itlMs, boolean fast) {
    int stepMs = !fast && options.phasedStepMs() > 0 ? options.phasedStepMs() : itlMs;
    int most = counts.stream().mapToInt(Integer::intValue).max().orElseThrow();
    int tokens = maxTokens(itlMs, most);
    int slots = (most + w - 1) / w + PROBE_SLOTS;
    int ctx = fast ? tokens + PROMPT_MARGIN : SLOW_CONTEXT;
    int processes = options.processPerWorker() ? w : 1;
    int[] opsPorts = new int[processes];
    IntFunction<List<String>> workerArgs = i -> {
      // A step takes a token of every running stream and whole prompts: room for all, so that a step of
      // 1 s admits every stream that arrived during it (the default batch of 512 would make new streams
      // wait for steps, and running ones share them).
      List<String> a = new ArrayList<>(List.of("--model", "simulated", "--sim-itl-ms", Integer.toString(stepMs),
          "--slots", Integer.toString(slots), "--ctx", Integer.toString(ctx),
          "--batch", Integer.toString(slots * BATCH_PER_SLOT), "--ops-port",
          Integer.toString(opsPorts[i])));
      if (w > 1 && !options.processPerWorker()) {
        a.addAll(List.of("--instances", Integer.toString(w)));
      }
      return a;
    };
    LocalCluster cluster;
    try {
      for (int i = 0; i < processes; i++) {
        opsPorts[i] = LocalCluster.freePort();
      }
      Path logs = options.logDir() == null ? null
          : Files.createDirectories(options.logDir().resolve((tls ? "tls" : "plain") + "-g" + g + "-w" + w
              + (fast ? "-fast" : "-slow")));
      cluster = LocalCluster.startStaged(options.nodes().withJvmFlags(options.gatewayJvmFlags()),
          options.nodes().withJvmFlags(options.workerJvmFlags()), g, processes, w, workerArgs, options.gatewayArgs(),
          logs, tls);
    } catch (Exception e) {
      for (int n : counts) {
        emit(Row.missing(tls, g, w, n, itlMs, fast, stepMs, Double.NaN, "cluster did not start: " + e.getMessage()));
      }
      return;
    }
    try (cluster) {
      String skip = null;
      for (int n : counts) {
        if (skip != null) {
          emit(Row.missing(tls, g, w, n, itlMs, fast, stepMs, cluster.joinMillis(), "skipped: " + skip));
          continue;
        }
        Row row;
        try {
          row = new Point(cluster, opsPorts, tls, g, w, n, itlMs, fast, stepMs, tokens).measure();
        } catch (Exception e) {
          row = Row.missing(tls, g, w, n, itlMs, fast, stepMs, cluster.joinMillis(), e.getMessage());
        }
        emit(row);
        if (row.problem() != null && Double.isNaN(row.cpuPerKiloToken())) {
          skip = "N=" + n + " could not be held";
        }
      }
    }
  }

  /**
   * The floor server, and each slow stream count against it in turn: in phase (one timer for all
   * streams, as a worker's step), or each stream paced from its own start when the clusters' slow
   * streams are paced out of phase.
   */
  private void floor() {
    int itlMs = options.slowItlMs();
    boolean phased = options.phasedStepMs() > 0;
    int stepMs = phased ? 0 : itlMs;
    int tokens = maxTokens(itlMs, options.streams().stream().mapToInt(Integer::intValue).max().orElseThrow());
    FloorProcess server;
    try {
      Path log = options.logDir() == null ? null : Files.createDirectories(options.logDir()
          .resolve(phased ? "floor-paced" : "floor")).resolve("floor.log");
      server = FloorProcess.start(options.nodes().withJvmFlags(options.gatewayJvmFlags()),
          phased ? SseFloorServer.Pacing.PHASED : SseFloorServer.Pacing.IN_PHASE, itlMs, log);
    } catch (Exception e) {
      for (int n : options.streams()) {
        emit(Row.floorMissing(n, itlMs, stepMs, "the floor server did not start: " + e.getMessage()));
      }
      return;
    }
    try (server) {
      String skip = null;
      for (int n : options.streams()) {
        if (skip != null) {
          emit(Row.floorMissing(n, itlMs, stepMs, "skipped: " + skip));
          continue;
        }
        Row row;
        try {
          row = new FloorPoint(server, n, itlMs, stepMs, tokens).measure();
        } catch (Exception e) {
          row = Row.floorMissing(n, itlMs, stepMs, e.getMessage());
        }
        emit(row);
        if (row.problem() != null && Double.isNaN(row.cpuPerKiloToken())) {
          skip = "N=" + n + " could not be held";
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // stopping the server was cut short: it is killed on exit
    }
  }

  /** Tokens per stream: enough to outlast the opening, the settling and the window. */
  private int maxTokens(int itlMs, int streams) {
    double seconds = (double) streams / options.openRate() + options.windowSeconds() + 30 + 4.0 * itlMs / 1000;
    return (int) Math.ceil(seconds * 1000 / itlMs) + 8;
  }

  private void emit(Row row) {
    rows.add(row);
    out.println(format(row));
    if (row.problem() != null) {
      out.println("  (" + row.problem() + ")");
    }
    out.flush();
  }

  /** One point on a running cluster. */
  private final class Point {
    private final LocalCluster cluster;
    private final int[] opsPorts;
    private final boolean tls;
    private final int g;
    private final int w;
    private final int n;
    private final int itlMs;
    private final boolean fast;
    private final int stepMs;
    private final int tokens;

    Point(LocalCluster cluster, int[] opsPorts, boolean tls, int g, int w, int n, int itlMs, boolean fast,
        int stepMs, int tokens) {
      this.stepMs = stepMs;
      this.cluster = cluster;
      this.opsPorts = opsPorts;
      this.tls = tls;
      this.g = g;
      this.w = w;
      this.n = n;
      this.itlMs = itlMs;
      this.fast = fast;
      this.tokens = tokens;
    }

    /**
     * Starts or stops the profiler in every gateway: started before the settling, so that loading it
     * (a jcmd process) is over before the window starts; stopped just after it.
     */
    private void profile(boolean start) throws IOException, InterruptedException {
      if (options.profiler() == null) {
        return;
      }
      for (int i = 0; i < g; i++) {
        long pid = cluster.gateway(i).pid();
        if (start) {
          options.profiler().start(pid);
        } else {
          String name = String.format(Locale.ROOT, "%s-G%d-W%d-N%s%d-gw%d", tls ? "tls" : "plain", g, w,
              fast ? "fast" : "", n, i + 1);
          report(options.profiler().stop(pid, name)); // on stderr: the table stays whole on stdout
        }
      }
    }

    Row measure() throws Exception {
      List<Integer> ports = cluster.ports();
      awaitQuiet();
      warmUp(cluster, ports, n, n + PROBE_SLOTS * w); // every worker has room for its share of n and the probes
      awaitQuiet();
      gc();
      PrometheusText gw0 = scrapeGateways();
      PrometheusText all0 = gw0.plus(scrapeWorkers());
      // No deadline: a slow stream outlives any default timeout_ms; it ends when the client closes it.
      JsonObject request = new JsonObject().put("prompt", PROMPT).put("max_tokens", tokens).put("timeout_ms", 0);
      if (stepMs < itlMs) {
        // Paced from the sampling of its last token: the next comes one step after the delay.
        request.put("stream_delay_ms", itlMs - stepMs);
      }
      String body = request.encode();
      try (ScaleLoad load = new ScaleLoad(n)) {
        String unopened = openAll(load, ports, n, body, this::alive, "a node exited");
        if (unopened != null) {
          return Row.missing(tls, g, w, n, itlMs, fast, stepMs, cluster.joinMillis(), unopened);
        }
        PrometheusText all1 = scrapeGateways().plus(scrapeWorkers());
        // The probes' client (an event loop, a pool) is made before the window and closed after it, as
        // nothing of the floor's window makes one: its garbage would be a collection of this JVM's in it.
        int probeCount = PROBES_PER_SECOND * options.windowSeconds();
        String probe = new JsonObject().put("prompt", PROMPT).put("max_tokens", 1).put("timeout_ms", 0).encode();
        long t0;
        long t1;
        Sample before;
        Sample after;
        try (ScaleLoad probes = new ScaleLoad(probeCount)) {
          profile(true);
          settle(itlMs);
          before = sample(ports);
          t0 = System.nanoTime();
          probes.open(ports, probeCount, probe, PROBES_PER_SECOND);
          Thread.sleep(TimeUnit.SECONDS.toMillis(options.windowSeconds())); // the measuring window itself
          t1 = System.nanoTime();
          after = sample(ports);
          profile(false);
        }
        if (options.dispatchTrace() != null) {
          System.err.println(String.format(Locale.ROOT, "dispatch split %s-G%d-W%d-N%s%d: ", tls ? "tls" : "plain", g,
              w, fast ? "fast" : "", n) + DispatchSplit.read(options.dispatchTrace(), t0, t1).line());
        }
        gc();
        double heapWith = scrapeGateways().sum("jvm_memory_used_bytes", "area=\"heap\"");
        int failedInWindow = load.failed();
        int endedEarly = load.ended();
        load.close();
        return row(load, t0, t1, before.cpu(), after.cpu(), gw0, all0, all1, before.gateways(), after.gateways(),
            before.first(), after.first(), before.nodes(), after.nodes(), heapWith,
            after.clientGc().minus(before.clientGc()),
            RunQueueWait.busiestLoopMsPerSecond(before.loop(), after.loop(), (t1 - t0) / 1e9), failedInWindow,
            endedEarly);
      }
    }

    /** What a window's figures are differences of, taken at its start and at its end. */
    private record Sample(Cpu cpu, RunQueueWait.Sample loop, GcPauses clientGc, PrometheusText gateways,
        PrometheusText first, PrometheusText nodes) {}

    private Sample sample(List<Integer> ports) throws Exception {
      Cpu cpu = cpu();
      RunQueueWait.Sample loop = RunQueueWait.Sample.of(cluster.gateway(0).pid());
      GcPauses clientGc = GcPauses.ofThisJvm();
      PrometheusText gateways = scrapeGateways();
      return new Sample(cpu, loop, clientGc, gateways, PrometheusText.scrape(ports.getFirst()),
          gateways.plus(scrapeWorkers()));
    }

    private Row row(ScaleLoad load, long t0, long t1, Cpu cpu0, Cpu cpu1, PrometheusText gw0, PrometheusText all0,
        PrometheusText all1, PrometheusText w0, PrometheusText w1, PrometheusText first0, PrometheusText first1,
        PrometheusText hz0, PrometheusText hz1, double heapWith, GcPauses clientGc, double loopWait, int failed,
        int ended) {
      double seconds = (t1 - t0) / 1e9;
      Gaps gaps = Gaps.of(load.arrivals(), t0, t1, itlMs);
      long received = gaps.received();
      var dispatch = w1.buckets("tokenbus_dispatch_latency_seconds")
          .minus(w0.buckets("tokenbus_dispatch_latency_seconds"));
      double heapBefore = gw0.sum("jvm_memory_used_bytes", "area=\"heap\"");
      double bytes = delta(w0, w1, "vertx_eventbus_bytes_read_sum") + delta(w0, w1, "vertx_eventbus_bytes_written_sum");
      double messages = delta(w0, w1, "vertx_eventbus_bytes_read_count")
          + delta(w0, w1, "vertx_eventbus_bytes_written_count");
      String problem = null;
      if (failed > 0 || ended > 0) {
        problem = failed + " streams failed, " + ended + " ended before the window's end" + problems(load);
      }
      return new Row(tls, false, g, w, n, itlMs, fast, stepMs, received, seconds,
          (cpu1.gateways - cpu0.gateways) / received * 1000,
          (heapWith - heapBefore) / n,
          dispatch.percentile(50) * 1000, dispatch.percentile(99) * 1000, (long) dispatch.count(),
          Percentiles.of(gaps.added(), 50), Percentiles.of(gaps.added(), 99),
          bytes / received, messages / received,
          delta(all0, all1, "tokenbus_hazelcast_operations_total") / n,
          delta(hz0, hz1, "tokenbus_hazelcast_operations_total") / seconds,
          cluster.joinMillis(),
          delta(first0, first1, "tokenbus_worker_announcements_total") / seconds,
          delta(first0, first1, "tokenbus_worker_announcement_bytes_total") / seconds,
          100 * (cpu1.gateways - cpu0.gateways) / seconds / g, 100 * (cpu1.workers - cpu0.workers) / seconds,
          100 * (cpu1.client - cpu0.client) / seconds, GcPauses.between(w0, w1),
          GcPauses.between(hz0, hz1).minus(GcPauses.between(w0, w1)), clientGc, loopWait, failed, problem);
    }

    /** Waits until no gateway holds a stream and no worker runs one. */
    private void awaitQuiet() throws Exception {
      for (int port : cluster.ports()) {
        GatewayStatus.await(port, s -> s.getJsonArray("streams").isEmpty() && s.getJsonArray("workers").stream()
            .allMatch(o -> ((JsonObject) o).getInteger("active", 0) == 0), "no stream left", QUIET_TIMEOUT,
            () -> alive() ? null : "a node exited");
      }
    }

    private boolean alive() {
      for (int i = 0; i < cluster.ports().size(); i++) {
        if (!cluster.gateway(i).isAlive()) {
          return false;
        }
      }
      for (int i = 0; i < opsPorts.length; i++) {
        if (!cluster.worker(i).isAlive()) {
          return false;
        }
      }
      return true;
    }

    /** A full GC in each gateway. */
    private void gc() throws Exception {
      for (int i = 0; i < cluster.ports().size(); i++) {
        fullGc(cluster.gateway(i).pid());
      }
    }

    private PrometheusText scrapeGateways() throws Exception {
      PrometheusText sum = null;
      for (int port : cluster.ports()) {
        PrometheusText t = PrometheusText.scrape(port);
        sum = sum == null ? t : sum.plus(t);
      }
      return sum;
    }

    private PrometheusText scrapeWorkers() throws Exception {
      PrometheusText sum = PrometheusText.parse("");
      for (int port : opsPorts) {
        sum = sum.plus(PrometheusText.scrape(port));
      }
      return sum;
    }

    private Cpu cpu() {
      double gateways = 0;
      for (int i = 0; i < cluster.ports().size(); i++) {
        gateways += cpuSeconds(cluster.gateway(i).toHandle());
      }
      double workers = 0;
      for (int i = 0; i < opsPorts.length; i++) {
        workers += cpuSeconds(cluster.worker(i).toHandle());
      }
      return new Cpu(gateways, workers, cpuSeconds(ProcessHandle.current()));
    }
  }

  /** One point on the floor server: {@link Point}'s sequence, without the cluster's figures and probes. */
  private final class FloorPoint {
    private final FloorProcess server;
    private final int n;
    private final int itlMs;
    private final int stepMs;
    private final int tokens;

    FloorPoint(FloorProcess server, int n, int itlMs, int stepMs, int tokens) {
      this.server = server;
      this.n = n;
      this.itlMs = itlMs;
      this.stepMs = stepMs;
      this.tokens = tokens;
    }

    Row measure() throws Exception {
      List<Integer> ports = List.of(server.port());
      awaitQuiet();
      warmUp(server, ports, n, n + PROBE_SLOTS);
      awaitQuiet();
      fullGc(server.process().pid());
      PrometheusText before = PrometheusText.scrape(server.port());
      // The server paces the streams itself (in phase, or each from its own start): no stream_delay_ms.
      String body = new JsonObject().put("prompt", PROMPT).put("max_tokens", tokens).put("timeout_ms", 0).encode();
      try (ScaleLoad load = new ScaleLoad(n)) {
        String unopened = openAll(load, ports, n, body, this::alive, "the floor server exited");
        if (unopened != null) {
          return Row.floorMissing(n, itlMs, stepMs, unopened);
        }
        if (options.profiler() != null) {
          options.profiler().start(server.process().pid());
        }
        settle(itlMs);
        ProcessHandle handle = server.process().toHandle();
        double server0 = cpuSeconds(handle);
        RunQueueWait.Sample loop0 = RunQueueWait.Sample.of(handle.pid());
        double client0 = cpuSeconds(ProcessHandle.current());
        GcPauses clientGc0 = GcPauses.ofThisJvm();
        PrometheusText w0 = PrometheusText.scrape(server.port());
        long t0 = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(options.windowSeconds())); // the measuring window itself
        long t1 = System.nanoTime();
        double server1 = cpuSeconds(handle);
        RunQueueWait.Sample loop1 = RunQueueWait.Sample.of(handle.pid());
        double client1 = cpuSeconds(ProcessHandle.current());
        GcPauses clientGc = GcPauses.ofThisJvm().minus(clientGc0);
        PrometheusText w1 = PrometheusText.scrape(server.port());
        if (options.profiler() != null) {
          report(options.profiler().stop(server.process().pid(), String.format(Locale.ROOT, "floor-N%d", n)));
        }
        fullGc(server.process().pid());
        double heapWith = PrometheusText.scrape(server.port()).sum("jvm_memory_used_bytes", "area=\"heap\"");
        int failed = load.failed();
        int ended = load.ended();
        load.close();
        double seconds = (t1 - t0) / 1e9;
        Gaps gaps = Gaps.of(load.arrivals(), t0, t1, itlMs);
        long skipped = Math.round(delta(w0, w1, "tokenbus_floor_skipped_writes_total"));
        List<String> problem = new ArrayList<>();
        if (failed > 0 || ended > 0) {
          problem.add(failed + " streams failed, " + ended + " ended before the window's end" + problems(load));
        }
        if (skipped > 0) {
          problem.add(skipped + " token writes put off a tick by a full write queue");
        }
        double nan = Double.NaN;
        return new Row(false, true, 1, 0, n, itlMs, false, stepMs, gaps.received(), seconds,
            (server1 - server0) / gaps.received() * 1000,
            (heapWith - before.sum("jvm_memory_used_bytes", "area=\"heap\"")) / n, nan, nan, 0,
            Percentiles.of(gaps.added(), 50), Percentiles.of(gaps.added(), 99), nan, nan, nan, nan, nan, nan, nan,
            100 * (server1 - server0) / seconds, nan, 100 * (client1 - client0) / seconds, GcPauses.between(w0, w1),
            GcPauses.NONE, clientGc, RunQueueWait.busiestLoopMsPerSecond(loop0, loop1, seconds), failed,
            problem.isEmpty() ? null : String.join("; ", problem));
      }
    }

    /** Waits until the server holds no stream. */
    private void awaitQuiet() throws Exception {
      GatewayStatus.await(server.port(), s -> s.getInteger("streams", -1) == 0, "no stream left", QUIET_TIMEOUT,
          () -> alive() ? null : "the floor server exited");
    }

    private boolean alive() {
      return server.process().isAlive();
    }
  }

  /**
   * Before a window, the floor's and a cluster's alike: this JVM (the client) collects its garbage
   * so far, then every stream gets past its second token, so that the window holds only steady gaps
   * and starts with the client's young generation empty.
   */
  private static void settle(int itlMs) throws InterruptedException {
    System.gc();
    Thread.sleep(2L * itlMs + 200);
  }

  /**
   * A few streams to their end first, so that lazily made pools and classes are in the heap's
   * baseline; then {@link Options#warmUpRequests} one-token requests, so that the request, dispatch
   * and relay paths run JIT-compiled in the window as they do in a gateway that has been up a while.
   *
   * @param servers the cluster or floor server measured: the JIT warm-up is done once for each
   * @param slots how many requests the workers take at once: at most half as many one-token requests
   *     are in flight, as a worker frees a slot a little after its client has seen the stream end (with
   *     as many as the slots, some were refused with 429 once the workers' queues filled)
   */
  private void warmUp(AutoCloseable servers, List<Integer> ports, int n, int slots) throws Exception {
    String body = new JsonObject().put("prompt", PROMPT).put("max_tokens", 2).encode();
    runToEnd(ports, Math.min(n, 50), body, options.openRate(), 50, "warm-up");
    if (options.warmUpRequests() > 0 && jitWarm.add(servers)) {
      String one = new JsonObject().put("prompt", PROMPT).put("max_tokens", 1).encode();
      runToEnd(ports, options.warmUpRequests(), one, Math.max(options.openRate(), WARM_UP_RATE),
          Math.max(1, Math.min(slots / 2, WARM_UP_IN_FLIGHT)), "JIT warm-up");
    }
  }

  /**
   * Sends {@code count} requests at {@code perSecond}, at most {@code inFlight} at once (the rest wait
   * in the client), and waits until each has ended, none failed.
   */
  private void runToEnd(List<Integer> ports, int count, String body, int perSecond, int inFlight, String what)
      throws Exception {
    try (ScaleLoad load = new ScaleLoad(Math.max(1, inFlight / ports.size()))) {
      load.open(ports, count, body, perSecond);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60 + count / Math.min(perSecond, inFlight));
      while (load.ended() < count && System.nanoTime() < deadline) {
        Thread.sleep(20); // polling the client's counters
      }
      if (load.failed() > 0 || load.ended() < count) {
        throw new IllegalStateException(what + ": " + load.ended() + " of " + count + " streams ended, "
            + load.failed() + " failed" + problems(load));
      }
    }
  }

  /**
   * Opens {@code n} streams with {@code body} at the open rate and waits until each got its first
   * token or failed, for a while that grows with {@code n}, and not past the servers' end.
   *
   * @param alive whether the servers still run
   * @param dead what to add to the problem when they do not
   * @return null when every stream got its first token, else why the point cannot be measured
   */
  private String openAll(ScaleLoad load, List<Integer> ports, int n, String body,
      java.util.function.BooleanSupplier alive, String dead) throws InterruptedException {
    load.open(ports, n, body, options.openRate());
    long openDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60 + n / options.openRate());
    while (load.started() + load.failed() < n && System.nanoTime() < openDeadline && alive.getAsBoolean()) {
      Thread.sleep(50); // polling the client's counters: the streams open on its event loops
    }
    if (load.started() < n) {
      return load.started() + " of " + n + " streams got a first token within " + (60 + n / options.openRate())
          + " s, " + load.failed() + " failed" + problems(load) + (alive.getAsBoolean() ? "" : "; " + dead);
    }
    return null;
  }

  /**
   * The tokens of a window at the client: how many arrived in it, and each gap between two of a
   * stream's tokens both in it minus the ITL (ms).
   */
  private record Gaps(long received, List<Double> added) {

    /** @param arrivals each stream's token arrivals ({@link ScaleLoad#arrivals}) */
    static Gaps of(List<long[]> arrivals, long t0, long t1, int itlMs) {
      long received = 0;
      List<Double> added = new ArrayList<>();
      for (long[] a : arrivals) {
        for (int i = 0; i < a.length; i++) {
          if (a[i] >= t0 && a[i] <= t1) {
            received++;
            if (i > 0 && a[i - 1] >= t0) {
              added.add((a[i] - a[i - 1]) / 1e6 - itlMs);
            }
          }
        }
      }
      return new Gaps(received, added);
    }
  }

  /** Names a profile's flame graph and says where its samples went, on stderr (the table stays whole on stdout). */
  private static void report(List<Path> profile) throws IOException {
    System.err.println("profile " + profile.get(0) + ": " + WindowProfiler.Summary.of(profile.get(1)).line());
  }

  /** A full GC in process {@code pid}, twice (what survives the first may be freed by the second). */
  private static void fullGc(long pid) throws IOException, InterruptedException {
    for (int k = 0; k < 2; k++) {
      jcmd(pid, "GC.run");
    }
  }

  /** CPU seconds (user + system) of the gateways, the worker processes and this process. */
  private record Cpu(double gateways, double workers, double client) {}

  private static double cpuSeconds(ProcessHandle p) {
    return p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
  }

  private static double delta(PrometheusText before, PrometheusText after, String name) {
    return after.sum(name) - before.sum(name);
  }

  private static String problems(ScaleLoad load) {
    List<String> p = load.problems();
    return p.isEmpty() ? "" : "; e.g. " + String.join(" | ", p);
  }

  private static void jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(JCMD.toString(), Long.toString(pid), command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("jcmd " + pid + " " + command + " did not finish within 60 s");
    }
    if (p.exitValue() != 0) {
      throw new IOException("jcmd " + pid + " " + command + " exited with " + p.exitValue());
    }
  }

  static String header() {
    return "| bus | G | W | N | ITL ms | tok/s | gw CPU s/1k tok | gw heap/stream KB | dispatch p50/p99 ms"
        + " | added ITL p50/p99 ms | bus B/tok | bus msg/tok | HZ ops/stream | HZ ops/s | join s | status/s"
        + " | status KB/s | gw CPU % | worker CPU % | client CPU % | GC pauses gw / worker / client (n x mean ms)"
        + " | gw loop run-queue ms/s | failed |\n"
        + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
  }

  static String format(Row r) {
    return String.format(Locale.ROOT, "| %s | %d | %d | %s%d | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s"
            + " | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |",
        r.floor() ? "floor" : r.tls() ? "TLS" : "plain", r.gateways(), r.workers(), r.fast() ? "fast " : "",
        r.streams(), r.itlMs() + (r.stepMs() == 0 ? " (paced)"
            : r.stepMs() < r.itlMs() ? " (paced, step " + r.stepMs() + ")" : ""),
        f(r.tokensPerSecond(), 0), f(r.cpuPerKiloToken(), 3), f(r.heapPerStreamBytes() / 1024, 1),
        f(r.dispatchP50Ms(), 2), f(r.dispatchP99Ms(), 2), f(r.addedItlP50Ms(), 2), f(r.addedItlP99Ms(), 2),
        f(r.busBytesPerToken(), 0), f(r.busMessagesPerToken(), 2), f(r.hzOpsPerStream(), 2),
        f(r.hzOpsPerSecond(), 0), f(r.joinMs() / 1000, 1), f(r.statusPerSecond(), 1),
        f(r.statusBytesPerSecond() / 1024, 1), f(r.gatewayCpuPercent(), 0), f(r.workerCpuPercent(), 0),
        f(r.clientCpuPercent(), 0), gc(r.gatewayGc()) + " / " + gc(r.workerGc()) + " / " + gc(r.clientGc()),
        f(r.gatewayLoopWaitMsPerSecond(), 1), r.failed());
  }

  private static String gc(GcPauses p) {
    return Double.isFinite(p.totalMs()) ? p.count() + " x " + f(p.meanMs(), 0) : "-";
  }

  private static String f(double v, int decimals) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "-";
  }
}
