package dev.tokenbus.engine;

import org.slf4j.LoggerFactory;

/**
 * The arithmetic of a logit scan over the whole vocabulary, done once per generated token: the
 * maximum, the sum of exponentials and the filter for top-k candidates. For a 150k-token
 * vocabulary the plain loops cost about half a millisecond per token; with the JDK's Vector API
 * (SIMD, when the JVM runs with {@code --add-modules jdk.incubator.vector}) about a tenth of that.
 */
interface LogitKernels {

  /** The largest of the first {@code n} values. */
  float max(float[] row, int n);

  /** Σ e^(row[i] - max) over the first {@code n} values, accurate to float precision per term. */
  double sumExp(float[] row, int n, float max);

  /**
   * The index of the first value in {@code [from, n)} greater than {@code threshold}, or {@code n}.
   * Lets the top-k filter skip, in wide steps, the many values that cannot enter the candidates.
   */
  int nextAbove(float[] row, int from, int n, float threshold);

  /** The SIMD kernels when the Vector API module is present, else the scalar ones. */
  static LogitKernels best() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
      try {
        return (LogitKernels) Class.forName("dev.tokenbus.engine.VectorLogitKernels").getDeclaredConstructor()
            .newInstance();
      } catch (ReflectiveOperationException | LinkageError e) {
        LoggerFactory.getLogger(LogitKernels.class).warn("Vector API present but unusable; scalar logit scans", e);
      }
    }
    return new ScalarLogitKernels();
  }
}
