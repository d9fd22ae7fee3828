package dev.tokenbus.cli;

import dev.tokenbus.bench.BenchmarkReport;
import dev.tokenbus.bench.ClusterBenchmark;
import dev.tokenbus.bench.NodeLauncher;
import dev.tokenbus.bench.PrefixBenchmark;
import dev.tokenbus.bench.StreamBenchmark;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.bench.EngineBenchmark;
import dev.tokenbus.engine.llama.LlamaRelease;
import dev.tokenbus.engine.llama.LlamaReleases;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tokenbus bench ...}: benchmarks that print their figures. */
@Command(name = "bench", description = "Benchmarks.", mixinStandardHelpOptions = true,
    subcommands = {BenchCommand.Engine.class, BenchCommand.Stream.class, BenchCommand.Cluster.class,
        BenchCommand.Report.class, BenchCommand.Prefix.class, BenchCommand.Compare.class,
        BenchCommand.Startup.class, BenchCommand.ClientStart.class, BenchCommand.Handoff.class,
        BenchCommand.Scale.class})
final class BenchCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "report", mixinStandardHelpOptions = true,
      description = "Runs the engine, stream and memory benchmarks and writes them as a Markdown report.")
  static final class Report implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    EngineOptions engine;

    @Option(names = "--out", defaultValue = "docs/BENCHMARKS.md", description = "Report file (default: ${DEFAULT-VALUE}).")
    java.nio.file.Path out;

    @Option(names = "--tokens", defaultValue = "256", description = "Tokens per stream (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--concurrency", defaultValue = "1,4,16", split = ",", description = "Concurrent streams (default: ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--runs", defaultValue = "3", description = "Measured runs per figure; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--idle-streams", defaultValue = "16", description = "Open idle streams for the memory figures (default: ${DEFAULT-VALUE}).")
    int idleStreams;

    @Option(names = "--llama-server", paramLabel = "PATH",
        description = "A llama.cpp llama-server binary: adds the side-by-side comparison of `bench compare`.")
    java.nio.file.Path llamaServer;

    @Override
    public Integer call() throws Exception {
      engine.benchDefault();
      // Every concurrency, and every idle stream, gets a slot of its own.
      int slots = Math.max(engine.slots, Math.max(idleStreams, concurrency.stream().mapToInt(Integer::intValue).max().orElse(1)));
      var cfg = engine.toConfig().withSlots(slots);
      String command = "bin/tokenbus " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
      NodeLauncher nodes = nodeLauncher();
      var cluster = new ClusterBenchmark.Options(cfg.model(), cfg.effectiveThreads(), Cluster.SLOTS,
          Cluster.WORKERS, tokens, runs, Cluster.SECONDS, Cluster.OVERLOAD, nodes, engine.otherWorkerArgs());
      var compare = llamaServer == null ? null : new dev.tokenbus.bench.CompareBenchmark.Options(
          engine.toConfig(), llamaServer, Compare.PROMPT, tokens, concurrency, runs, Compare.TTFT_TOKENS,
          Compare.TTFT_REQUESTS, nodes, true, engine.otherWorkerArgs(), Compare.WARMUP_SECONDS,
          List.of(dev.tokenbus.bench.ClientStyle.values()));
      new BenchmarkReport(new BenchmarkReport.Options(cfg, engine.model, tokens, concurrency, runs, idleStreams,
          nodes, cluster, compare, command, out), System.out).run();
      return 0;
    }
  }

  @Command(name = "stream", mixinStandardHelpOptions = true,
      description = "Streamed tok/s and time to first token over SSE: engine alone, standalone, gateway + worker processes"
          + " (on the cluster's TLS event bus, then on a plain-text one, to show what TLS costs).")
  static final class Stream implements Callable<Integer> {

    @Mixin
    EngineOptions engine;

    @Option(names = "--tokens", defaultValue = "512", description = "Tokens per stream (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--concurrency", defaultValue = "1,4", split = ",", description = "Concurrent streams (default: ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--runs", defaultValue = "5", description = "Measured runs per figure; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--no-processes", description = "Skip the gateway + worker processes.")
    boolean noProcesses;

    @Override
    public Integer call() throws Exception {
      engine.benchDefault();
      new StreamBenchmark(new StreamBenchmark.Options(engine.toConfig(), tokens, concurrency, runs,
          noProcesses ? null : nodeLauncher()), System.out).run();
      return 0;
    }
  }

  @Command(name = "cluster", mixinStandardHelpOptions = true,
      description = {"Scale-out: aggregate streamed tok/s of a gateway and 1, 2, 3 worker processes under a saturating"
          + " SSE load (one client per slot, each sending its next request when its stream ended, for --seconds per"
          + " run), and at the largest cluster under overload (--overload clients per slot, the gateway's queue as"
          + " deep as the slots: the rest get 429 and wait their Retry-After).",
          "Each worker gets --threads decode threads (0 means 1 here) and --slots. The workers, the gateway and the"
              + " clients share this machine's cores (printed as nproc): on fewer cores than workers the figures"
              + " cannot scale linearly."})
  static final class Cluster implements Callable<Integer> {

    static final int SLOTS = 4;
    static final List<Integer> WORKERS = List.of(1, 2, 3);
    static final int SECONDS = 5;
    static final int OVERLOAD = 3;

    @Mixin
    EngineOptions engine;

    @Option(names = "--workers", defaultValue = "1,2,3", split = ",", description = "Worker processes (default: ${DEFAULT-VALUE}).")
    List<Integer> workers;

    @Option(names = "--tokens", defaultValue = "256", description = "Tokens per stream (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--runs", defaultValue = "3", description = "Measured runs per figure; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--seconds", defaultValue = "5", description = "Length of one measured run (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--overload", defaultValue = "3", description = "Clients per slot in the overload figure; 1 skips it (default: ${DEFAULT-VALUE}).")
    int overload;

    @Override
    public Integer call() throws Exception {
      engine.benchDefault();
      var cfg = engine.toConfig();
      // One decode thread per worker unless told: N workers are compared with one, not with a many-threaded one.
      int threads = engine.threads == 0 ? 1 : engine.threads;
      new ClusterBenchmark(new ClusterBenchmark.Options(cfg.model(), threads, cfg.slots(), workers, tokens, runs,
          seconds, overload, nodeLauncher(), engine.otherWorkerArgs()), System.out).run();
      return 0;
    }
  }

  @Command(name = "prefix", mixinStandardHelpOptions = true,
      description = "Multi-turn conversations over a shared system prompt on a gateway and worker processes: prefix"
          + " cache off, on with least-loaded dispatch, on with cache-aware dispatch (TTFT, prompt tokens computed,"
          + " hit rate).")
  static final class Prefix implements Callable<Integer> {

    @Mixin
    EngineOptions engine;

    @Option(names = "--workers", defaultValue = "1,2", split = ",", description = "Cluster sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> workers;

    @Option(names = "--conversations", defaultValue = "8", description = "Conversations at once (default: ${DEFAULT-VALUE}).")
    int conversations;

    @Option(names = "--turns", defaultValue = "6", description = "Turns per conversation (default: ${DEFAULT-VALUE}).")
    int turns;

    @Option(names = "--system-words", defaultValue = "600",
        description = "Words in the shared system prompt; 600 are about 1,000 tokens on stories260K (default: ${DEFAULT-VALUE}).")
    int systemWords;

    @Option(names = "--tokens", defaultValue = "24", description = "Tokens per reply (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Override
    public Integer call() throws Exception {
      engine.benchDefault();
      var cfg = engine.toConfig();
      int threads = engine.threads == 0 ? 1 : engine.threads;
      // Room for the system prompt and every turn unless told.
      int ctx = cfg.contextPerSequence() > 0 ? cfg.contextPerSequence() : 2048;
      new PrefixBenchmark(new PrefixBenchmark.Options(cfg.model(), threads, cfg.slots(), ctx, workers, conversations,
          turns, systemWords, tokens, nodeLauncher(), engine.otherWorkerArgs()), System.out).run();
      return 0;
    }
  }

  @Command(name = "compare", mixinStandardHelpOptions = true,
      description = {"tokenbus next to llama.cpp's llama-server on the same model, threads and slots, measured one"
          + " after the other: TTFT p50/p99 (one request at a time, a new connection each, --ttft-tokens tokens) by"
          + " each --clients style in turn, and streamed tok/s at each --concurrency by the raw-socket client, side"
          + " by side with ratios; tokenbus as a standalone node and as gateway + worker processes, on /v1/generate"
          + " and the OpenAI chat route.",
          "Client styles: raw (a socket, TCP_NODELAY, the request in one write), raw-split (a socket, Nagle on, the"
              + " head then the body in two writes), curl (the binary, timed by its own --trace-time clock; skipped"
              + " with the reason when absent), vertx (Vert.x's HttpClient), jdk (java.net.http.HttpClient). Each"
              + " times from just before its connection opens to the first token event.",
          "llama-server is started on a free loopback port with -m, -t, -tb, -np, -c (slots x --ctx, 1024 when 0),"
              + " --no-kv-unified, -fa as --flash-attention and -ngl as --gpu-layers, and stopped when the benchmark"
              + " ends."})
  static final class Compare implements Callable<Integer> {

    static final String PROMPT = "Once upon a time";
    static final int TTFT_TOKENS = 4;
    static final int TTFT_REQUESTS = 200;
    static final int WARMUP_SECONDS = 10;

    @Mixin
    EngineOptions engine;

    @Option(names = "--llama-server", required = true, paramLabel = "PATH", description = "The llama-server binary.")
    java.nio.file.Path llamaServer;

    @Option(names = "--tokens", defaultValue = "256", description = "Tokens per stream in the tok/s figures (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--concurrency", defaultValue = "1,4,16", split = ",", description = "Concurrent streams (default: ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--runs", defaultValue = "3", description = "Measured runs per figure; the median tok/s is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--ttft-tokens", defaultValue = "4", description = "Tokens per request in the TTFT figures (default: ${DEFAULT-VALUE}).")
    int ttftTokens;

    @Option(names = "--ttft-requests", defaultValue = "" + TTFT_REQUESTS,
        description = "Requests per measured TTFT run, per client style (default: ${DEFAULT-VALUE}).")
    int ttftRequests;

    @Option(names = "--clients", defaultValue = "raw,raw-split,curl,vertx,jdk", split = ",",
        converter = ClientStyleConverter.class,
        description = "The client styles that measure TTFT, in this order (default: ${DEFAULT-VALUE}).")
    List<dev.tokenbus.bench.ClientStyle> clients;

    @Option(names = "--prompt", defaultValue = PROMPT, description = "Prompt (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--no-processes", description = "Skip the gateway + worker processes.")
    boolean noProcesses;

    @Option(names = "--warmup-seconds", defaultValue = "" + WARMUP_SECONDS,
        description = "How long each server is driven through all its routes before any is measured: the JVM"
            + " compiles tokenbus's hot paths after thousands of requests (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Override
    public Integer call() throws Exception {
      engine.benchDefault();
      new dev.tokenbus.bench.CompareBenchmark(new dev.tokenbus.bench.CompareBenchmark.Options(engine.toConfig(),
          llamaServer, prompt, tokens, concurrency, runs, ttftTokens, ttftRequests,
          nodeLauncher(), !noProcesses, engine.otherWorkerArgs(), warmupSeconds, clients), System.out).run();
      return 0;
    }
  }

  @Command(name = "startup", mixinStandardHelpOptions = true,
      description = {"How fast a server is from its start, a fresh process per row: the time from starting it to its"
          + " readiness route's first 200 (/ready; llama-server's /health), then the time to first token of each of"
          + " --requests short generations one at a time (request 1, 10, 100, 1000 and the medians between), sent"
          + " in one write with TCP_NODELAY on a new connection each. tokenbus standalone without and with the JVM's"
          + " AOT cache, gateway + worker processes likewise, llama-server when --llama-server is given."})
  static final class Startup implements Callable<Integer> {

    private static final String AOT_CACHE_FLAG = "-XX:AOTCache=";

    @Mixin
    EngineOptions engine;

    @Option(names = "--llama-server", paramLabel = "PATH", description = "A llama-server binary to measure too.")
    java.nio.file.Path llamaServer;

    @Option(names = "--requests", defaultValue = "1000", description = "Requests after the start (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--tokens", defaultValue = "4", description = "Tokens per request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--aot-cache", paramLabel = "FILE",
        description = "The AOT cache of the rows with one (default: the one this JVM runs with: bin/tokenbus passes"
            + " launcher/target/tokenbus.aot when it is newer than the jar).")
    java.nio.file.Path aotCache;

    @Option(names = "--no-processes", description = "Skip the gateway + worker processes.")
    boolean noProcesses;

    @Override
    public Integer call() throws Exception {
      engine.benchDefault();
      List<String> own = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
      List<String> flags = own.stream().filter(a -> !a.startsWith(AOT_CACHE_FLAG)).toList();
      java.nio.file.Path cache = aotCache != null ? aotCache : own.stream().filter(a -> a.startsWith(AOT_CACHE_FLAG))
          .map(a -> java.nio.file.Path.of(a.substring(AOT_CACHE_FLAG.length()))).findFirst().orElse(null);
      java.nio.file.Path jar = JarLocation.current();
      NodeLauncher cached = null;
      if (cache != null) {
        List<String> withCache = new java.util.ArrayList<>(flags);
        withCache.add(AOT_CACHE_FLAG + cache);
        cached = NodeLauncher.jar(jar, withCache);
      }
      new dev.tokenbus.bench.StartupBenchmark(new dev.tokenbus.bench.StartupBenchmark.Options(engine.toConfig(),
          requests, tokens, NodeLauncher.jar(jar, flags), cached, llamaServer, !noProcesses, engine.otherWorkerArgs()),
          System.out).run();
      return 0;
    }
  }

  @Command(name = "handoff", mixinStandardHelpOptions = true,
      description = {"A running stream moved between worker processes with its KV cells (handoff) against replay"
          + " (the next worker prefills the prompt and the tokens so far again), at each --contexts prompt length"
          + " (token ids, temperature 0, prompt cache off): a gateway process, and fresh worker processes of"
          + " --threads decode threads and 4 slots per case.",
          "Per context: the client's longest gap between two tokens when its worker is drained by an operator"
              + " (POST /v1/admin/workers/{id}/drain) in drain mode handoff, then replay, and when it is killed"
              + " (kill -9), each after 16 tokens, and whether the text equals an uninterrupted run's; the KV bytes"
              + " moved and the transfer's time (offer to load) next to the cold prefill of the prompt (the"
              + " uninterrupted run's TTFT); and a worker with 4 running streams stopped by SIGTERM in drain mode"
              + " handoff, wait and replay: the time to its exit."})
  static final class Handoff implements Callable<Integer> {

    @Mixin
    EngineOptions engine;

    @Option(names = "--contexts", defaultValue = "512,2048,4096", split = ",",
        description = "Prompt lengths in tokens (default: ${DEFAULT-VALUE}).")
    List<Integer> contexts;

    @Option(names = "--tokens", defaultValue = "64",
        description = "Tokens each moved stream generates after its move (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--log-dir", paramLabel = "DIR",
        description = "Where the nodes' logs go (default: a new temporary directory, printed).")
    java.nio.file.Path logDir;

    @Override
    public Integer call() throws Exception {
      if (engine.model == null) {
        engine.model = dev.tokenbus.engine.gguf.BenchModel.NAME;
      }
      var cfg = engine.toConfig();
      // One decode thread per worker unless told: two workers share this machine's cores.
      int threads = engine.threads == 0 ? 1 : engine.threads;
      java.nio.file.Path logs = logDir != null ? java.nio.file.Files.createDirectories(logDir)
          : java.nio.file.Files.createTempDirectory("tokenbus-bench-handoff");
      new dev.tokenbus.bench.HandoffBenchmark(new dev.tokenbus.bench.HandoffBenchmark.Options(cfg.model(), threads,
          contexts, tokens, nodeLauncher(), withoutContext(engine.otherWorkerArgs()), logs, 0), System.out).run();
      return 0;
    }

    /** A worker's arguments without {@code --ctx}: the benchmark sizes each context itself. */
    static List<String> withoutContext(List<String> args) {
      List<String> kept = new java.util.ArrayList<>();
      for (int i = 0; i < args.size(); i++) {
        if (args.get(i).equals("--ctx")) {
          i++;
        } else {
          kept.add(args.get(i));
        }
      }
      return kept;
    }
  }

  /** A client style by its label ({@code raw-split}, not the enum's name). */
  static final class ClientStyleConverter implements picocli.CommandLine.ITypeConverter<dev.tokenbus.bench.ClientStyle> {
    @Override
    public dev.tokenbus.bench.ClientStyle convert(String value) {
      return dev.tokenbus.bench.ClientStyle.parse(value);
    }
  }

  @Command(name = "client-start", mixinStandardHelpOptions = true,
      description = {"The Java client's first stream in a fresh JVM, against a running gateway (--url): --jvms processes"
          + " per row, each running the client's probe (client/target/tokenbus-client-*-bench.jar) on the client jar and its runtime"
          + " dependencies alone; each creates a client and reads two short greedy streams. Per row the medians of:"
          + " process start to main, the client's construction, generate to the first token of the first and of the"
          + " second stream. Rows: each --java with each --transport, without an archive, with an AppCDS archive"
          + " (-XX:ArchiveClassesAtExit on a training run of the probe, then -XX:SharedArchiveFile) and, on Java 25+,"
          + " with an AOT cache (-XX:AOTCacheOutput, then -XX:AOTCache); then, per row, one process logged with"
          + " -Xlog:class+load,startuptime: the JVM's creation and each phase's milliseconds and classes loaded.",
          "Build the client first (the package build makes the probe's jar and runtime-classpath.txt)."})
  static final class ClientStart implements Callable<Integer> {

    @Option(names = "--url", required = true, description = "The gateway, e.g. http://127.0.0.1:8095.")
    String url;

    @Option(names = "--java", paramLabel = "PATH",
        description = "A java launcher to measure; repeat it to compare (default: the one running this).")
    List<java.nio.file.Path> javas;

    @Option(names = "--transport", defaultValue = "websocket", split = ",",
        description = "websocket, sse or both (default: ${DEFAULT-VALUE}).")
    List<String> transports;

    @Option(names = "--jvms", defaultValue = "5", description = "Processes per row; medians are reported (default: ${DEFAULT-VALUE}).")
    int jvms;

    @Option(names = "--no-archives", description = "Skip the AppCDS and AOT cache rows.")
    boolean noArchives;

    @Option(names = "--flags", paramLabel = "\"-Dx=y -XX:...\"",
        description = "One more row without an archive, with these JVM flags; repeatable.")
    List<String> flags;

    @Option(names = "--client-target", paramLabel = "DIR",
        description = "The client module's build directory (default: client/target beside this jar's launcher/).")
    java.nio.file.Path clientTarget;

    @Override
    public Integer call() throws Exception {
      java.nio.file.Path target = clientTarget != null ? clientTarget
          : JarLocation.current().toAbsolutePath().getParent().getParent().getParent().resolve("client/target");
      List<java.nio.file.Path> launchers = javas == null || javas.isEmpty()
          ? List.of(java.nio.file.Path.of(ProcessHandle.current().info().command().orElse("java"))) : javas;
      new dev.tokenbus.bench.ClientStartBenchmark(new dev.tokenbus.bench.ClientStartBenchmark.Options(url, launchers,
          transports, jvms, ClientClassPath.of(target), !noArchives, flags == null ? List.of() : flags),
          System.out).run();
      return 0;
    }
  }

  @Command(name = "scale", mixinStandardHelpOptions = true,
      description = {"What each stream costs the gateway and the bus as workers (W), gateways (G) and streams (N)"
          + " grow, on simulated workers (--model simulated, no weights): per cluster (bus TLS or plain text, G"
          + " gateway processes, one worker process with --instances W), N SSE streams opened from this process"
          + " and spread over the gateways, measured over --window-seconds while all run.",
          "Per point: gateway CPU seconds per 1,000 tokens relayed, gateway heap per open stream (after a full GC),"
              + " dispatch latency p50/p99 (request in to OPEN accepted, the gateways' histogram), added"
              + " inter-token latency at the client (gap minus the simulated ITL) p50/p99, event-bus bytes and"
              + " messages per token at the gateways, Hazelcast operations per stream opened and per second, the"
              + " workers' join time, status announcements and their bytes per second at one gateway, and the CPU"
              + " share of gateways, worker process and client.",
          "Slow streams get one token a second (--slow-itl-ms 1000); fast streams (--fast-streams) measure"
              + " throughput. A point the machine cannot hold is reported, not waited for.",
          "--floor also measures each slow N against the floor: a minimal SSE server process in the gateway's"
              + " place (the gateway's /v1/generate events, no bus, no worker, no dispatch), with the same client,"
              + " window and pacing; its row (bus 'floor', G 1, W 0) shows what this machine and client add by"
              + " themselves."})
  static final class Scale implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--workers", defaultValue = "1,8,32,128", split = ",", description = "Worker counts W (default: ${DEFAULT-VALUE}).")
    List<Integer> workers;

    @Option(names = "--gateways", defaultValue = "1,2", split = ",", description = "Gateway process counts G (default: ${DEFAULT-VALUE}).")
    List<Integer> gateways;

    @Option(names = "--streams", defaultValue = "100,1000,10000", split = ",",
        description = "Slow stream counts N, one token a second each; 0 for none (default: ${DEFAULT-VALUE}).")
    List<Integer> streams;

    @Option(names = "--fast-streams", defaultValue = "16,256", split = ",",
        description = "Fast stream counts (throughput, --fast-itl-ms a token); 0 for none (default: ${DEFAULT-VALUE}).")
    List<Integer> fastStreams;

    @Option(names = "--tls", defaultValue = "both", description = "The event bus: on, off or both (default: ${DEFAULT-VALUE}).")
    String tls;

    @Option(names = "--window-seconds", defaultValue = "30", description = "Measuring window per point (default: ${DEFAULT-VALUE}).")
    int windowSeconds;

    @Option(names = "--slow-itl-ms", defaultValue = "1000", description = "The slow streams' workers' --sim-itl-ms (default: ${DEFAULT-VALUE}).")
    int slowItlMs;

    @Option(names = "--fast-itl-ms", defaultValue = "20", description = "The fast streams' workers' --sim-itl-ms (default: ${DEFAULT-VALUE}).")
    int fastItlMs;

    @Option(names = "--open-rate", defaultValue = "" + dev.tokenbus.bench.ScaleBenchmark.DEFAULT_OPEN_RATE,
        description = "Streams opened a second (default: ${DEFAULT-VALUE}).")
    int openRate;

    @Option(names = "--warm-up-requests", defaultValue = "" + dev.tokenbus.bench.ScaleBenchmark.DEFAULT_WARM_UP_REQUESTS,
        description = "One-token requests sent through each cluster (and the floor server) before it is measured, so"
            + " that the window sees JIT-compiled code, as a gateway that has been up a while runs; 0 for none"
            + " (default: ${DEFAULT-VALUE}).")
    int warmUpRequests;

    @Option(names = "--phased-step-ms", defaultValue = "0",
        description = "0: the slow streams' workers step once per --slow-itl-ms, every stream's token in the same"
            + " step (a batch in phase); above 0: they step every N ms and each stream is paced to --slow-itl-ms by"
            + " its own stream_delay_ms from its own start, out of phase with the others (default: ${DEFAULT-VALUE}).")
    int phasedStepMs;

    @Option(names = "--floor",
        description = "Also measure each slow N against the floor server (first, as rows with bus 'floor'): in phase,"
            + " or each stream paced from its own start with --phased-step-ms.")
    boolean floor;

    @Option(names = "--floor-only", description = "Measure the floor rows only: no cluster is started.")
    boolean floorOnly;

    @Option(names = "--gateway-jvm-flags", paramLabel = "FLAGS", defaultValue = "",
        description = "JVM flags of the gateways' and the floor server's processes after this process's,"
            + " space-separated (a collector named here replaces this process's), e.g. -XX:+UseZGC.")
    String gatewayJvmFlags;

    @Option(names = "--worker-jvm-flags", paramLabel = "FLAGS", defaultValue = "",
        description = "The same for the simulated workers' processes.")
    String workerJvmFlags;

    @Option(names = "--process-per-worker",
        description = "W worker processes of one worker each instead of one process with --instances W.")
    boolean processPerWorker;

    @Option(names = "--resume-grace-ms", defaultValue = "0",
        description = "The gateways' --resume-grace-ms: above 0 streams are resumable (kept for a client that comes"
            + " back, their OPEN tells the worker their owner) (default: ${DEFAULT-VALUE}).")
    long resumeGraceMs;

    @Option(names = "--svg", paramLabel = "DIR", description = "Write the cost curves (vs W and vs N) as SVG files here.")
    java.nio.file.Path svg;

    @Option(names = "--logs", paramLabel = "DIR", description = "Keep the nodes' logs here, a directory per cluster.")
    java.nio.file.Path logs;

    @Option(names = "--profile", paramLabel = "DIR",
        description = "Sample each gateway (and the floor server) with async-profiler over each window, from just"
            + " before its settling: an HTML flame graph and collapsed stacks per gateway and point, written here.")
    java.nio.file.Path profile;

    @Option(names = "--profile-event", defaultValue = "cpu",
        description = "What --profile samples: cpu, wall (every thread, running or not), alloc, lock or itimer"
            + " (default: ${DEFAULT-VALUE}).")
    String profileEvent;

    @Option(names = "--async-profiler", paramLabel = "PATH",
        description = "async-profiler's libasyncProfiler.so for --profile (default: taken from the local Maven"
            + " repository's tools.profiler:async-profiler jar for linux-x64).")
    java.nio.file.Path asyncProfiler;

    @Option(names = "--trace-dispatch", paramLabel = "DIR",
        description = "Stamp each dispatch's hops in the gateways and workers (lines written here), and print after"
            + " each window where its dispatches spent their time: the gateway, the bus there, the worker, the bus back.")
    java.nio.file.Path traceDispatch;

    @Option(names = "--quick",
        description = "A run of a couple of minutes: W 1,8, G 1, N 100,1000, fast 16, TLS on, a 10 s window"
            + " (options given explicitly still apply).")
    boolean quick;

    @Override
    public Integer call() throws Exception {
      var given = spec.commandLine().getParseResult();
      if (quick) {
        workers = given.hasMatchedOption("--workers") ? workers : List.of(1, 8);
        gateways = given.hasMatchedOption("--gateways") ? gateways : List.of(1);
        streams = given.hasMatchedOption("--streams") ? streams : List.of(100, 1000);
        fastStreams = given.hasMatchedOption("--fast-streams") ? fastStreams : List.of(16);
        tls = given.hasMatchedOption("--tls") ? tls : "on";
        windowSeconds = given.hasMatchedOption("--window-seconds") ? windowSeconds : 10;
      }
      List<Boolean> modes = switch (tls) {
        case "on" -> List.of(true);
        case "off" -> List.of(false);
        case "both" -> List.of(true, false);
        default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--tls must be on, off or both, got '" + tls + "'");
      };
      if (resumeGraceMs < 0) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--resume-grace-ms must be 0 or more, got " + resumeGraceMs);
      }
      dev.tokenbus.bench.WindowProfiler profiler;
      try {
        profiler = profile == null ? null : dev.tokenbus.bench.WindowProfiler.of(asyncProfiler, profile, profileEvent);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      var floorRows = floorOnly ? dev.tokenbus.bench.ScaleBenchmark.Floor.ONLY
          : floor ? dev.tokenbus.bench.ScaleBenchmark.Floor.ALSO : dev.tokenbus.bench.ScaleBenchmark.Floor.OFF;
      new dev.tokenbus.bench.ScaleBenchmark(new dev.tokenbus.bench.ScaleBenchmark.Options(workers, gateways,
          withoutZero(streams), withoutZero(fastStreams), modes, windowSeconds, slowItlMs, fastItlMs, openRate,
          warmUpRequests, phasedStepMs, processPerWorker, floorRows, List.of("--resume-grace-ms", Long.toString(resumeGraceMs)),
          flags(gatewayJvmFlags), flags(workerJvmFlags), nodeLauncher(), logs, svg, profiler, traceDispatch),
          System.out).run();
      return 0;
    }

    private static List<String> flags(String spaceSeparated) {
      return spaceSeparated.isBlank() ? List.of() : List.of(spaceSeparated.trim().split("\\s+"));
    }

    private static List<Integer> withoutZero(List<Integer> counts) {
      return counts.stream().filter(n -> n != 0).toList();
    }
  }

  /** Node processes of the running jar, with this JVM's flags. */
  private static NodeLauncher nodeLauncher() {
    return NodeLauncher.jar(JarLocation.current(),
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
  }

  @Command(name = "engine", mixinStandardHelpOptions = true,
      description = "Tokens/s of the engine's full loop at 1 and 4 concurrent sequences, next to a decode-only loop over the same tokens.")
  static final class Engine implements Callable<Integer> {

    @Mixin
    EngineOptions engine;

    @Option(names = "--tokens", defaultValue = "256", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--concurrency", defaultValue = "1,4", split = ",", description = "Concurrent sequences (default: ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--runs", defaultValue = "5", description = "Measured runs per figure; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--prompt", defaultValue = "Once upon a time", description = "Prompt (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--profiles", split = ",", paramLabel = "v0.5.0,b4916",
        description = "Run the whole benchmark once per llama.cpp release, one after the other in this process"
            + " (default: only --llama-profile's).")
    List<String> profiles;

    @Override
    public Integer call() {
      engine.benchDefault();
      EngineConfig config = engine.toConfig();
      if (profiles == null || profiles.isEmpty()) {
        new EngineBenchmark(new EngineBenchmark.Options(config, prompt, tokens, concurrency, runs, temperature),
            System.out).run();
        return 0;
      }
      for (String p : profiles) {
        LlamaRelease profile = LlamaReleases.parse(p);
        System.out.println("== llama.cpp " + (profile == null ? "auto" : profile.name()) + " ==");
        new EngineBenchmark(new EngineBenchmark.Options(config.withLlamaProfile(profile), prompt, tokens, concurrency,
            runs, temperature), System.out).run();
      }
      return 0;
    }
  }
}
