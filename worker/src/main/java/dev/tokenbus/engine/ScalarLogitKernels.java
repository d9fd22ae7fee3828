package dev.tokenbus.engine;

/** Plain loops; used when the JVM runs without the Vector API module. */
final class ScalarLogitKernels implements LogitKernels {

  @Override
  public float max(float[] row, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, row[i]);
    }
    return max;
  }

  @Override
  public double sumExp(float[] row, int n, float max) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += Math.exp(row[i] - max);
    }
    return sum;
  }

  @Override
  public int nextAbove(float[] row, int from, int n, float threshold) {
    int i = from;
    while (i < n && !(row[i] > threshold)) {
      i++;
    }
    return i;
  }
}
