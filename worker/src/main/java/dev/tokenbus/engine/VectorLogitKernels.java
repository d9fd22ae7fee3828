package dev.tokenbus.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD kernels on the JDK's Vector API. Loaded by name only when the module is present, so the
 * engine still runs (on {@link ScalarLogitKernels}) without {@code --add-modules jdk.incubator.vector}.
 */
final class VectorLogitKernels implements LogitKernels {

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Lanes accumulate in float; folding into a double this often keeps the sum's error near 1e-7. */
  private static final int FOLD = 1024;

  @Override
  public float max(float[] row, int n) {
    int bound = S.loopBound(n);
    FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    int i = 0;
    for (; i < bound; i += S.length()) {
      m = m.max(FloatVector.fromArray(S, row, i));
    }
    float max = m.reduceLanes(VectorOperators.MAX);
    for (; i < n; i++) {
      max = Math.max(max, row[i]);
    }
    return max;
  }

  @Override
  public double sumExp(float[] row, int n, float max) {
    int bound = S.loopBound(n);
    double total = 0;
    int i = 0;
    while (i < bound) {
      int end = Math.min(bound, i + FOLD);
      FloatVector acc = FloatVector.zero(S);
      for (; i < end; i += S.length()) {
        acc = acc.add(FloatVector.fromArray(S, row, i).sub(max).lanewise(VectorOperators.EXP));
      }
      total += acc.reduceLanes(VectorOperators.ADD);
    }
    for (; i < n; i++) {
      total += Math.exp(row[i] - max);
    }
    return total;
  }

  @Override
  public int nextAbove(float[] row, int from, int n, float threshold) {
    int i = from;
    int bound = from + S.loopBound(n - from);
    for (; i < bound; i += S.length()) {
      VectorMask<Float> above = FloatVector.fromArray(S, row, i).compare(VectorOperators.GT, threshold);
      if (above.anyTrue()) {
        return i + above.firstTrue();
      }
    }
    while (i < n && !(row[i] > threshold)) {
      i++;
    }
    return i;
  }
}
