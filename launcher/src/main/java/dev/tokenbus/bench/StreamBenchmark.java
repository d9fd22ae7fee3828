package dev.tokenbus.bench;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.bench.BenchSink;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Streamed tokens/s and time to first token, through the whole system, next to the engine alone:
 * (1) the engine in-process, (2) a standalone node (gateway and worker in one JVM) and (3) a
 * gateway and a worker as separate processes; each at the given concurrencies, over SSE.
 */
public final class StreamBenchmark {

  /** What to measure; {@code nodes} starts the separate processes (null: skip them). */
  public record Options(EngineConfig engine, int tokens, List<Integer> concurrency, int runs, NodeLauncher nodes) {}

  /** One figure: median tok/s over the runs; latency percentiles pooled over all streams of all runs. */
  public record Row(String path, int concurrency, double tokensPerSecond, double ttftP50Ms, double ttftP99Ms,
      double itlP50Ms, double itlP99Ms) {}

  /** The path every other one is compared with. */
  public static final String ENGINE_ALONE = "engine alone";
  /** A gateway and a worker process on the cluster's TLS event bus. */
  public static final String PROCESSES = "gateway + worker processes";

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

    if (options.nodes() != null) {
      // The cluster's own bus (TLS with mutual authentication), then a plain-text one: what TLS costs.
      for (boolean tls : new boolean[] {true, false}) {
        try (LocalCluster p = LocalCluster.start(options.nodes(), 1,
            LocalCluster.workerArgs(cfg.model(), cfg.effectiveThreads(), cfg.slots()), List.of(), null, tls)) {
          SseLoad load = new SseLoad(p.port());
          for (int n : options.concurrency()) {
            rows.add(measure(tls ? PROCESSES : PROCESSES + ", plain-text bus", n, () -> load.run(n, body)));
          }
        }
      }
    }
    print(rows);
    return rows;
  }

  private Row measure(String path, int n, Rounds.Source source) throws Exception {
    Rounds.Summary s = Rounds.measure(options.runs(), source);
    return new Row(path, n, s.tokensPerSecond(), s.ttftMs(50), s.ttftMs(99), s.itlMs(50), s.itlMs(99));
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
    return new SseLoad.Round(tokens * 1e9 / (System.nanoTime() - t0), ttft, List.of(), List.of());
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
}
