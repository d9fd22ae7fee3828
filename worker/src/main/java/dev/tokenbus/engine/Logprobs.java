package dev.tokenbus.engine;

import dev.tokenbus.protocol.TopLogprob;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Log-probabilities from a row of raw logits: the model's own distribution, before temperature or
 * truncation, which is what OpenAI-style {@code logprobs} report. One instance per decode thread;
 * it reuses its buffers.
 */
final class Logprobs {

  /** Terms this far below the maximum add less than e^-40 each: skipping their exp() changes nothing visible. */
  private static final float NEGLIGIBLE = 40f;

  private final int[] topIds = new int[dev.tokenbus.protocol.StreamConfig.MAX_TOP_LOGPROBS];
  private final float[] topLogits = new float[dev.tokenbus.protocol.StreamConfig.MAX_TOP_LOGPROBS];

  /** log Σ exp(logit) over the row. */
  double logSumExp(float[] logits, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      if (logits[i] > max) {
        max = logits[i];
      }
    }
    float floor = max - NEGLIGIBLE;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      float v = logits[i];
      if (v > floor) {
        sum += Math.exp(v - max);
      }
    }
    return max + Math.log(sum);
  }

  /** The {@code k} most likely tokens, best first, as log-probabilities. */
  List<TopLogprob> top(float[] logits, int n, int k, double logSumExp, IntFunction<String> text) {
    int size = 0;
    for (int i = 0; i < n; i++) {
      float v = logits[i];
      if (size == k && v <= topLogits[k - 1]) {
        continue;
      }
      // Insertion into a short sorted array: k is at most 20.
      int j = size < k ? size++ : k - 1;
      while (j > 0 && topLogits[j - 1] < v) {
        topLogits[j] = topLogits[j - 1];
        topIds[j] = topIds[j - 1];
        j--;
      }
      topLogits[j] = v;
      topIds[j] = i;
    }
    List<TopLogprob> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(new TopLogprob(topIds[i], text.apply(topIds[i]), topLogits[i] - logSumExp));
    }
    return out;
  }
}
