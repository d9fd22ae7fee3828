package dev.tokenbus.bench;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.bench.BenchSink;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Streamed tokens/s and time to first token, through the whole system, next to the engine alone:
 * (1) the engine in-process, (2) a standalone node (gateway and worker in one JVM) and (3) a
 * gateway and a worker as separate processes; each at the given concurrencies, over SSE.
 */
public final class StreamBenchmark {

  /** What to measure; {@code jar} is the tokenbus jar used to start the separate processes. */
  public record Options(EngineConfig engine, int tokens, List<Integer> concurrency, int runs, Path jar,
      List<String> jvmFlags) {}

  /** One figure: median tok/s over the runs; latency percentiles pooled over all streams of all runs. */
  public record Row(String path, int concurrency, double tokensPerSecond, double ttftP50Ms, double ttftP99Ms,
      double itlP50Ms, double itlP99Ms) {}

  /** The path every other one is compared with. */
  public static final String ENGINE_ALONE = "engine alone";

  private final Options options;
  private final PrintStream out;

  public StreamBenchmark(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Measures every path, prints the table and returns its rows. */
  public List<Row> run() throws Exception {
    int maxConcurrency = options.concurrency().stream().mapToInt(Integer::intValue).max().orElse(1);
    EngineConfig cfg = options.engine().withSlots(Math.max(options.engine().slots(), maxConcurrency));
    String body = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", options.tokens())
        .put("temperature", 0).put("timeout_ms", 600_000).encode();
    List<Row> rows = new ArrayList<>();
    out.printf(Locale.ROOT, "stream benchmark: %s, %d tokens per stream, median of %d runs%n",
        cfg.model().getFileName(), options.tokens(), options.runs());

    try (LlamaEngine engine = LlamaEngine.start(cfg)) {
      for (int n : options.concurrency()) {
        rows.add(measure(ENGINE_ALONE, n, () -> engineRound(engine, n)));
      }
      try (StandaloneNode node = StandaloneNode.start(engine)) {
        SseLoad load = new SseLoad(node.port());
        for (int n : options.concurrency()) {
          rows.add(measure("standalone (one JVM)", n, () -> load.run(n, body)));
        }
      }
    }

    if (options.jar() != null) {
      try (Processes p = Processes.start(options, cfg)) {
        SseLoad load = new SseLoad(p.port);
        for (int n : options.concurrency()) {
          rows.add(measure("gateway + worker processes", n, () -> load.run(n, body)));
        }
      }
    }
    print(rows);
    return rows;
  }

  private interface RoundSource {
    SseLoad.Round run() throws Exception;
  }

  private Row measure(String path, int n, RoundSource source) throws Exception {
    // Warm up until the JIT of every JVM involved has settled: at least 3 rounds and 3 seconds.
    long warmUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    for (int i = 0; i < 3 || System.nanoTime() < warmUntil; i++) {
      source.run();
    }
    double[] tps = new double[options.runs()];
    List<Double> ttft = new ArrayList<>();
    List<Double> itl = new ArrayList<>();
    for (int r = 0; r < options.runs(); r++) {
      SseLoad.Round round = source.run();
      tps[r] = round.tokensPerSecond();
      ttft.addAll(round.ttftMs());
      itl.addAll(round.itlMs());
    }
    return new Row(path, n, BenchSink.median(tps), Percentiles.of(ttft, 50), Percentiles.of(ttft, 99),
        Percentiles.of(itl, 50), Percentiles.of(itl, 99));
  }

  private SseLoad.Round engineRound(LlamaEngine engine, int n) {
    StreamConfig cfg = StreamConfig.defaults().withMaxTokens(options.tokens()).withTemperature(0);
    long t0 = System.nanoTime();
    List<BenchSink> sinks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      BenchSink s = new BenchSink(t0, 0);
      sinks.add(s);
      engine.submit(new GenerationRequest("bench-" + i, "Once upon a time", cfg), s);
    }
    long tokens = 0;
    List<Double> ttft = new ArrayList<>();
    for (BenchSink s : sinks) {
      tokens += s.done().join().usage().completionTokens();
      ttft.add(s.firstTokenNanos() / 1e6);
    }
    // The engine's sink records only the first token's time: no inter-token gaps here.
    return new SseLoad.Round(tokens * 1e9 / (System.nanoTime() - t0), ttft, List.of());
  }

  private void print(List<Row> rows) {
    out.println();
    out.println("| path | streams | tok/s | vs engine alone | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | ITL p99 ms |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (Row r : rows) {
      out.printf(Locale.ROOT, "| %s | %d | %,.0f | %.0f%% | %s | %s | %s | %s |%n", r.path(), r.concurrency(),
          r.tokensPerSecond(), 100 * vsEngineAlone(rows, r), ms(r.ttftP50Ms()), ms(r.ttftP99Ms()), ms(r.itlP50Ms()),
          ms(r.itlP99Ms()));
    }
  }

  /** A row's tok/s over the engine alone's at the same concurrency. */
  public static double vsEngineAlone(List<Row> rows, Row r) {
    Row base = rows.stream().filter(x -> x.path().equals(ENGINE_ALONE) && x.concurrency() == r.concurrency())
        .findFirst().orElse(r);
    return r.tokensPerSecond() / base.tokensPerSecond();
  }

  /** Milliseconds to two decimals, or a dash where there is no sample. */
  public static String ms(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", v);
  }

  static void awaitWorkers(int port) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        String s = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/status")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        if (!new JsonObject(s).getJsonArray("workers").isEmpty()) {
          return;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      }
      Thread.sleep(100); // polling a child process for readiness
    }
    throw new IllegalStateException("no worker became visible on port " + port + " within 60 s");
  }

  /** A gateway and a worker as child processes of the same jar, in a cluster of their own. */
  private static final class Processes implements AutoCloseable {
    final int port;
    private final List<Process> children = new ArrayList<>();

    private Processes(int port) {
      this.port = port;
    }

    static Processes start(Options o, EngineConfig cfg) throws Exception {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      String cluster = "bench-" + System.nanoTime();
      Processes p = new Processes(port);
      try {
        p.spawn(o, "worker", "--model", cfg.model().toString(), "--threads", Integer.toString(cfg.effectiveThreads()),
            "--slots", Integer.toString(cfg.slots()), "--cluster-name", cluster);
        p.spawn(o, "gateway", "--http-port", Integer.toString(port), "--cluster-name", cluster);
        awaitWorkers(port);
      } catch (Exception e) {
        p.close();
        throw e;
      }
      return p;
    }

    private void spawn(Options o, String... args) throws Exception {
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      cmd.addAll(o.jvmFlags());
      cmd.add("-jar");
      cmd.add(o.jar().toString());
      cmd.addAll(List.of(args));
      children.add(new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
    }

    @Override
    public void close() {
      for (Process c : children) {
        c.destroy();
      }
      for (Process c : children) {
        try {
          if (!c.waitFor(20, TimeUnit.SECONDS)) {
            c.destroyForcibly();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          c.destroyForcibly();
        }
      }
    }
  }
}
