package dev.tokenbus.engine.bench;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.llama.Llama;
import dev.tokenbus.engine.llama.NativeBatch;
import dev.tokenbus.engine.llama.NativeContext;
import dev.tokenbus.engine.llama.NativeModel;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Measures the engine's full loop (scheduling, sampling, logprobs, text, sinks) against a loop that
 * only calls {@code llama_decode} on the very same tokens in the same batch shapes. The ratio is
 * what the engine costs on top of llama.cpp itself. Each figure is the median of several runs
 * after a warm-up, all in one process, so the ratio is measured under the same conditions.
 */
public final class EngineBenchmark {

  /** What to measure. */
  public record Options(EngineConfig engine, String prompt, int tokens, List<Integer> concurrency, int runs,
      double temperature) {}

  /** One row of the report. */
  public record Row(int concurrency, double fullTokensPerSecond, double decodeOnlyTokensPerSecond) {
    public double ratio() {
      return fullTokensPerSecond / decodeOnlyTokensPerSecond;
    }
  }

  private final Options options;
  private final PrintStream out;

  public EngineBenchmark(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public List<Row> run() {
    int maxConcurrency = options.concurrency().stream().mapToInt(Integer::intValue).max().orElse(1);
    EngineConfig cfg = options.engine().withSlots(Math.max(options.engine().slots(), maxConcurrency));
    List<Row> rows = new ArrayList<>();
    out.printf(Locale.ROOT,
        "engine benchmark: %s on llama.cpp %s, %d threads, %d tokens per sequence, temperature %.2f, median of %d runs%n",
        cfg.model().getFileName(), Llama.open(cfg.llamaProfile(), cfg.nativeLibrary()).release(), cfg.effectiveThreads(),
        options.tokens(), options.temperature(), options.runs());
    for (int n : options.concurrency()) {
      List<Trace> traces = new ArrayList<>();
      double[] full = new double[options.runs()];
      try (LlamaEngine engine = LlamaEngine.start(cfg)) {
        warmUp(engine, n);
        for (int r = 0; r < full.length; r++) {
          Trace t = runFull(engine, n);
          full[r] = t.tokensPerSecond();
          traces.add(t);
        }
      }
      double[] decodeOnly = replay(cfg, traces);
      Row row = new Row(n, BenchSink.median(full), BenchSink.median(decodeOnly));
      rows.add(row);
    }
    out.println();
    out.println("| concurrent sequences | full loop tok/s | decode-only tok/s | full / decode-only |");
    out.println("|---:|---:|---:|---:|");
    for (Row r : rows) {
      out.printf(Locale.ROOT, "| %d | %,.0f | %,.0f | %.1f%% |%n", r.concurrency(), r.fullTokensPerSecond(),
          r.decodeOnlyTokensPerSecond(), 100 * r.ratio());
    }
    return rows;
  }

  /** The prompt and generated tokens of one run, with its wall time. */
  private record Trace(int[][] prompts, int[][] generated, long nanos) {
    int totalGenerated() {
      return Arrays.stream(generated).mapToInt(g -> g.length).sum();
    }

    double tokensPerSecond() {
      return totalGenerated() * 1e9 / nanos;
    }
  }

  /**
   * Runs until the JIT has compiled the hot paths (the SIMD kernels run interpreted, and hundreds of
   * times slower, until C2 compiles them): 20,000 tokens or 3 seconds.
   */
  private void warmUp(LlamaEngine engine, int n) {
    long deadline = System.nanoTime() + 3_000_000_000L;
    int tokens = 0;
    while (tokens < 20_000 && System.nanoTime() < deadline) {
      tokens += runFull(engine, n).totalGenerated();
    }
  }

  private Trace runFull(LlamaEngine engine, int n) {
    StreamConfig cfg = StreamConfig.defaults().withMaxTokens(options.tokens()).withTemperature(options.temperature())
        .withBufferSize(4096);
    List<BenchSink> sinks = new ArrayList<>();
    int[][] prompts = new int[n][];
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      BenchSink s = new BenchSink(t0, options.tokens());
      sinks.add(s);
      var g = engine.submit(new GenerationRequest("bench-" + i, options.prompt(), cfg.withSeed((long) i)), s);
      prompts[i] = engine.tokenize(options.prompt(), true);
      if (prompts[i].length != g.promptTokens()) {
        throw new IllegalStateException("tokenization differs between submit and tokenize");
      }
    }
    CompletableFuture.allOf(sinks.stream().map(BenchSink::done).toArray(CompletableFuture[]::new)).join();
    long nanos = System.nanoTime() - t0;
    int[][] generated = sinks.stream().map(BenchSink::ids).toArray(int[][]::new);
    return new Trace(prompts, generated, nanos);
  }

  /**
   * Feeds the same tokens through llama_decode alone: all prompts in the first step, then one token
   * per still-running sequence per step, as the engine batched them.
   */
  private double[] replay(EngineConfig cfg, List<Trace> traces) {
    NativeModel model = Llama.open(cfg.llamaProfile(), cfg.nativeLibrary()).loadModel(cfg.model(), cfg.gpuLayers());
    int perSequence = cfg.contextPerSequence() > 0 ? cfg.contextPerSequence() : Math.min(model.contextTrain(), 4096);
    double[] result = new double[traces.size()];
    // The same context shape as the engine's (slots and cells), so that only the loop around decode differs.
    try (model; NativeContext ctx = NativeContext.create(model, new NativeContext.Params(perSequence * cfg.slots(),
        cfg.batchSize(), cfg.microBatchSize(), cfg.slots(), cfg.effectiveThreads(), cfg.effectiveThreads(),
        cfg.flashAttention()), () -> false);
        NativeBatch batch = new NativeBatch(ctx, cfg.batchSize())) {
      for (int w = 0; w < 3; w++) {
        replayOnce(ctx, batch, traces.get(w % traces.size())); // warm-up
      }
      for (int r = 0; r < traces.size(); r++) {
        long nanos = replayOnce(ctx, batch, traces.get(r));
        result[r] = traces.get(r).totalGenerated() * 1e9 / nanos;
      }
    }
    return result;
  }

  private static long replayOnce(NativeContext ctx, NativeBatch batch, Trace t) {
    int n = t.prompts().length;
    ctx.clear();
    long t0 = System.nanoTime();
    batch.clear();
    for (int s = 0; s < n; s++) {
      int[] p = t.prompts()[s];
      for (int i = 0; i < p.length; i++) {
        batch.add(p[i], i, s, i == p.length - 1);
      }
    }
    decode(ctx, batch);
    int longest = Arrays.stream(t.generated()).mapToInt(g -> g.length).max().orElse(0);
    // The last sampled token of a sequence is never fed back: the engine stops before decoding it.
    for (int k = 0; k < longest - 1; k++) {
      batch.clear();
      for (int s = 0; s < n; s++) {
        int[] g = t.generated()[s];
        if (k < g.length - 1) {
          batch.add(g[k], t.prompts()[s].length + k, s, true);
        }
      }
      decode(ctx, batch);
      // Read the logits as any sampler must, so that a lazy backend cannot skip work.
      ctx.logits(0);
    }
    return System.nanoTime() - t0;
  }

  private static void decode(NativeContext ctx, NativeBatch batch) {
    int rc = ctx.decode(batch);
    if (rc != 0) {
      throw new IllegalStateException("llama_decode returned " + rc + " in the decode-only replay");
    }
  }

}
