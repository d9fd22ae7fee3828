package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LogitScanTest {

  static List<LogitKernels> kernels() {
    return List.of(new ScalarLogitKernels(), LogitKernels.best());
  }

  private static float[] row(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() * 5);
    }
    return v;
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void matchesAReferenceComputation(LogitKernels k) {
    for (int n : new int[] {1, 7, 355, 512, 32_000, 151_936}) {
      float[] v = row(n, n);
      double max = Double.NEGATIVE_INFINITY;
      for (float x : v) {
        max = Math.max(max, x);
      }
      double sum = 0;
      for (float x : v) {
        sum += Math.exp(x - max);
      }
      double lse = max + Math.log(sum);
      LogitScan scan = new LogitScan(k);
      scan.scan(v, n, Math.min(n, 40));
      assertThat(scan.logSumExp).as("log-sum-exp, n=%d", n).isCloseTo(lse, within(1e-5));
      assertThat(v[scan.argmax]).isEqualTo((float) max);
      Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble((Integer i) -> -v[i])
          .thenComparingInt(i -> i)).toArray(Integer[]::new);
      int[] expected = Arrays.stream(order).limit(Math.min(n, 40)).mapToInt(Integer::intValue).toArray();
      assertThat(Arrays.copyOf(scan.ids, scan.count)).as("top-k ids, n=%d", n).containsExactly(expected);
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void firstMaximumWinsTies(LogitKernels k) {
    float[] v = new float[300];
    v[17] = 3f;
    v[250] = 3f;
    LogitScan scan = new LogitScan(k);
    scan.scan(v, v.length, 2);
    assertThat(scan.argmax).isEqualTo(17);
    assertThat(scan.ids[0]).isEqualTo(17);
    assertThat(scan.ids[1]).isEqualTo(250);
  }
}
