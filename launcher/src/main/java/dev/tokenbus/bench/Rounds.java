package dev.tokenbus.bench;

import dev.tokenbus.engine.bench.BenchSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Repeats a load round: a warm-up until the JIT of every JVM involved has settled, then the measured runs. */
final class Rounds {

  interface Source {
    SseLoad.Round run() throws Exception;
  }

  /**
   * The measured runs: the median tok/s; TTFT, the response's first byte (where the client knows it)
   * and ITL pooled over every stream of every run; the requests sent and those refused with 429,
   * summed over the runs.
   */
  record Summary(double tokensPerSecond, List<Double> ttftMs, List<Double> firstByteMs, List<Double> itlMs,
      int requests, long rejected, long tokens) {

    double ttftMs(double percentile) {
      return Percentiles.of(ttftMs, percentile);
    }

    double firstByteMs(double percentile) {
      return Percentiles.of(firstByteMs, percentile);
    }

    double itlMs(double percentile) {
      return Percentiles.of(itlMs, percentile);
    }

    /** The mean tokens a stream delivered, over the requests not refused. */
    double tokensPerStream() {
      return requests == rejected ? Double.NaN : (double) tokens / (requests - rejected);
    }
  }

  private Rounds() {}

  /** Warms up with at least 3 rounds and 3 seconds, then measures {@code runs} rounds. */
  static Summary measure(int runs, Source source) throws Exception {
    return measure(runs, 3, source);
  }

  /** Warms up with at least {@code warmupRounds} rounds and 3 seconds, then measures {@code runs} rounds. */
  static Summary measure(int runs, int warmupRounds, Source source) throws Exception {
    long warmUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    for (int i = 0; i < warmupRounds || System.nanoTime() < warmUntil; i++) {
      source.run();
    }
    double[] tps = new double[runs];
    List<Double> ttft = new ArrayList<>();
    List<Double> firstByte = new ArrayList<>();
    List<Double> itl = new ArrayList<>();
    int requests = 0;
    long rejected = 0;
    long tokens = 0;
    for (int r = 0; r < runs; r++) {
      SseLoad.Round round = source.run();
      tps[r] = round.tokensPerSecond();
      ttft.addAll(round.ttftMs());
      itl.addAll(round.itlMs());
      requests += round.streams().size();
      rejected += round.rejected();
      for (SseLoad.Stream st : round.streams()) {
        tokens += st.arrivalNanos().length;
        if (st.firstByteNanos() >= 0) {
          firstByte.add(st.firstByteNanos() / 1e6);
        }
      }
    }
    return new Summary(BenchSink.median(tps), ttft, firstByte, itl, requests, rejected, tokens);
  }
}
