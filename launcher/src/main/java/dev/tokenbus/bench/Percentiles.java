package dev.tokenbus.bench;

import java.util.List;

/** Nearest-rank percentiles over a pooled sample (all streams of all measured runs). */
final class Percentiles {

  private Percentiles() {}

  /** The p-th percentile (0 < p <= 100), or NaN for an empty sample. */
  static double of(List<Double> sample, double p) {
    if (sample.isEmpty()) {
      return Double.NaN;
    }
    double[] s = sample.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int rank = (int) Math.ceil(p / 100 * s.length);
    return s[Math.clamp(rank - 1, 0, s.length - 1)];
  }
}
