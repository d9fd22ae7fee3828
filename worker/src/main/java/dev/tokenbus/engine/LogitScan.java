package dev.tokenbus.engine;

import dev.tokenbus.protocol.TopLogprob;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * One scan over a row of raw logits that yields everything the engine needs per token: the most
 * likely token (greedy), the log-normaliser (for logprobs of the model's unmodified distribution,
 * which is what OpenAI-style {@code logprobs} report) and the k best candidates, sorted (for the
 * top-k sampling stage and for top logprobs). One instance per decode thread; buffers are reused.
 */
final class LogitScan {

  /** The most candidates kept; larger top-k values fall back to llama.cpp's own top-k. */
  static final int MAX_CANDIDATES = 128;

  private final LogitKernels kernels;
  final int[] ids = new int[MAX_CANDIDATES];
  final float[] logits = new float[MAX_CANDIDATES];
  int count;
  int argmax;
  double logSumExp;

  LogitScan(LogitKernels kernels) {
    this.kernels = kernels;
  }

  /** Scans {@code n} logits, keeping the best {@code k} (at most {@link #MAX_CANDIDATES}) in descending order. */
  void scan(float[] row, int n, int k) {
    float max = kernels.max(row, n);
    argmax = kernels.nextAbove(row, 0, n, Math.nextDown(max)); // the first maximum, as llama.cpp's greedy picks
    logSumExp = max + Math.log(kernels.sumExp(row, n, max));
    count = 0;
    if (k <= 0) {
      return;
    }
    // Fill with the first k, then only values above the current k-th best can enter.
    for (int i = 0; i < n; ) {
      if (count < k) {
        insert(i, row[i], k);
        i++;
        continue;
      }
      i = kernels.nextAbove(row, i, n, logits[k - 1]);
      if (i < n) {
        insert(i, row[i], k);
        i++;
      }
    }
  }

  /** Insertion into the short sorted list; among equal logits the lower token id stays first. */
  private void insert(int id, float v, int k) {
    int j = count < k ? count++ : k - 1;
    while (j > 0 && logits[j - 1] < v) {
      logits[j] = logits[j - 1];
      ids[j] = ids[j - 1];
      j--;
    }
    logits[j] = v;
    ids[j] = id;
  }

  /** The first {@code k} candidates as log-probabilities, best first. */
  List<TopLogprob> top(int k, IntFunction<String> text) {
    int size = Math.min(k, count);
    List<TopLogprob> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(new TopLogprob(ids[i], text.apply(ids[i]), logits[i] - logSumExp));
    }
    return out;
  }
}
