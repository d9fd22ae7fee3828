package dev.tokenbus.bench;

import dev.tokenbus.engine.EngineConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * How fast a server is from its start: a fresh process per configuration, the time from starting it
 * to its readiness route answering 200 ({@code /ready} on tokenbus, {@code /health} on llama-server,
 * polled every millisecond), then {@code requests} short greedy generations one at a time on
 * {@code /v1/generate} (llama-server: {@code /completion}), each on a new connection by
 * the {@code raw} client style ({@link RawSocketClient}: the request in one write, {@code TCP_NODELAY}), timed to the first token
 * event. tokenbus runs as a standalone node, without and with the JVM's AOT cache, and as gateway +
 * worker processes with it; llama-server when its binary is given.
 */
public final class StartupBenchmark {

  /**
   * What to measure.
   *
   * @param engine the model, threads, context and flash attention of every server (one slot each)
   * @param requests generations after the start, one at a time
   * @param tokens tokens per generation
   * @param plain starts tokenbus nodes without the AOT cache
   * @param cached starts them with it, or null when there is none
   * @param llamaServer the llama-server binary, or null
   * @param processes whether gateway + worker processes are measured too
   * @param otherWorkerArgs tokenbus's arguments beside model, threads and slots ({@code --ctx} is set here)
   */
  public record Options(EngineConfig engine, int requests, int tokens, NodeLauncher plain, NodeLauncher cached,
      Path llamaServer, boolean processes, List<String> otherWorkerArgs) {}

  /**
   * One fresh server.
   *
   * @param readyMs from starting its process to its readiness route's first 200
   * @param ttftMs the time to first token of each request after that, in order
   */
  public record Row(String server, double readyMs, double[] ttftMs) {}

  private static final String PROMPT = "Once upon a time";

  private final Options options;
  private final PrintStream out;

  public StartupBenchmark(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Measures every configuration, prints the table and returns the rows. */
  public List<Row> run() throws Exception {
    out.printf(Locale.ROOT, "startup: %s, %d thread(s), nproc %d; %d requests of %d tokens after the start, one at a"
            + " time, each on a new connection (request in one write, TCP_NODELAY); a fresh process per row%n",
        options.engine().model().getFileName(), threads(), Runtime.getRuntime().availableProcessors(),
        options.requests(), options.tokens());
    List<Row> rows = new ArrayList<>();
    if (options.llamaServer() != null) {
      rows.add(llamaServer());
    }
    rows.add(standalone("tokenbus standalone, no AOT cache", options.plain()));
    if (options.cached() != null) {
      rows.add(standalone("tokenbus standalone, AOT cache", options.cached()));
    } else {
      out.println("no AOT cache: bin/tokenbus passes one when launcher/target/tokenbus.aot is newer than the jar"
          + " (the build makes it unless -Dtokenbus.aot.skip=true)");
    }
    if (options.processes()) {
      rows.add(processes("tokenbus gateway + worker, no AOT cache", options.plain()));
      if (options.cached() != null) {
        rows.add(processes("tokenbus gateway + worker, AOT cache", options.cached()));
      }
    }
    out.println();
    out.print(table(rows));
    return rows;
  }

  private Row llamaServer() throws Exception {
    int port = StandaloneProcess.freePort();
    EngineConfig cfg = options.engine();
    List<String> cmd = new ArrayList<>(LlamaServer.arguments(options.llamaServer(), cfg.model(), threads(), 1,
        context(), cfg.flashAttention(), cfg.gpuLayers(), port));
    Path log = Files.createTempFile("llama-server-startup", ".log");
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      double ready = StandaloneProcess.awaitReady(p, port, "/health", t0, log);
      String body = new JsonObject().put("prompt", PROMPT).put("n_predict", options.tokens()).put("temperature", 0)
          .put("stream", true).encode();
      return new Row("llama-server", ready, firstTokens(port, SseLoad.Dialect.LLAMA_SERVER, body));
    } finally {
      StandaloneProcess.stop(p);
      Files.deleteIfExists(log);
    }
  }

  private Row standalone(String name, NodeLauncher launcher) throws Exception {
    try (StandaloneProcess node = StandaloneProcess.start(launcher, workerArgs())) {
      return new Row(name, node.readyMs(), firstTokens(node.port(), SseLoad.Dialect.TOKENBUS, generateBody()));
    }
  }

  /** The gateway's start to its seeing the worker is the ready time here (polled every 100 ms by {@link LocalCluster}). */
  private Row processes(String name, NodeLauncher launcher) throws Exception {
    long t0 = System.nanoTime();
    try (LocalCluster c = LocalCluster.start(launcher, 1, workerArgs(), List.of(), null)) {
      double ready = (System.nanoTime() - t0) / 1e6;
      return new Row(name, ready, firstTokens(c.port(), SseLoad.Dialect.TOKENBUS, generateBody()));
    }
  }

  private int threads() {
    return options.engine().effectiveThreads();
  }

  /** The context per sequence: the configuration's, else what {@code bench compare} gives both servers. */
  private int context() {
    int ctx = options.engine().contextPerSequence();
    return ctx > 0 ? ctx : CompareBenchmark.DEFAULT_CONTEXT;
  }

  /** A tokenbus worker's (or standalone node's) model, threads, one slot and the other settings. */
  private List<String> workerArgs() {
    List<String> args = new ArrayList<>(LocalCluster.workerArgs(options.engine().model(), threads(), 1));
    args.addAll(CompareBenchmark.withContext(options.otherWorkerArgs(), context()));
    return args;
  }

  private String generateBody() {
    return new JsonObject().put("prompt", PROMPT).put("max_tokens", options.tokens()).put("temperature", 0).encode();
  }

  private double[] firstTokens(int port, SseLoad.Dialect dialect, String body) throws Exception {
    double[] ttft = new double[options.requests()];
    RawSocketClient client = new RawSocketClient(port, dialect, false);
    for (int i = 0; i < ttft.length; i++) {
      SseLoad.Stream s = client.stream(body);
      if (s.status() != 200 || s.arrivalNanos().length == 0) {
        throw new IllegalStateException("request " + (i + 1) + " to " + dialect.path() + ": HTTP " + s.status()
            + ", no token event");
      }
      ttft[i] = s.arrivalNanos()[0] / 1e6;
    }
    return ttft;
  }

  /**
   * The table in Markdown: ready time, the TTFT of requests 1, 10, 100 and 1,000 (those there are),
   * and the median of each span between them (2-10, 11-100, 101-1000), which a single request's
   * noise does not move.
   */
  public static String table(List<Row> rows) {
    int n = rows.stream().mapToInt(r -> r.ttftMs().length).max().orElse(0);
    List<Integer> marks = new ArrayList<>();
    for (int m = 1; m <= n; m *= 10) {
      marks.add(m);
    }
    StringBuilder b = new StringBuilder("| server | start to ready ms |");
    StringBuilder rule = new StringBuilder("|---|---:|");
    for (int m : marks) {
      b.append(String.format(Locale.ROOT, " TTFT #%,d ms |", m));
      rule.append("---:|");
    }
    for (int i = 1; i < marks.size(); i++) {
      b.append(String.format(Locale.ROOT, " p50 #%,d-%,d ms |", marks.get(i - 1) + 1, marks.get(i)));
      rule.append("---:|");
    }
    b.append('\n').append(rule).append('\n');
    for (Row r : rows) {
      b.append("| ").append(r.server()).append(String.format(Locale.ROOT, " | %,.0f |", r.readyMs()));
      for (int m : marks) {
        b.append(String.format(Locale.ROOT, " %.2f |", r.ttftMs()[m - 1]));
      }
      for (int i = 1; i < marks.size(); i++) {
        double[] span = Arrays.copyOfRange(r.ttftMs(), marks.get(i - 1), marks.get(i));
        Arrays.sort(span);
        b.append(String.format(Locale.ROOT, " %.2f |", span[span.length / 2]));
      }
      b.append('\n');
    }
    return b.toString();
  }
}
