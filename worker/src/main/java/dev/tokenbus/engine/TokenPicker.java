package dev.tokenbus.engine;

import dev.tokenbus.engine.llama.NativeContext;
import dev.tokenbus.engine.llama.NativeSampler;
import dev.tokenbus.protocol.StreamConfig;

/**
 * Chooses one sequence's next token, the cheapest way its settings allow:
 * <ul>
 *   <li>greedy without penalties: the arg-max the logit scan already found, no native call;
 *   <li>top-k sampling without penalties: llama.cpp's chain over the scan's top-k candidates;
 *   <li>anything else (penalties, no or very large top-k): llama.cpp's full chain over the vocabulary.
 * </ul>
 * All three give the tokens llama.cpp's own chain would give for the same settings and seed.
 */
final class TokenPicker implements AutoCloseable {

  private enum Mode { GREEDY, CANDIDATES, FULL }

  /** Tests set this to run llama.cpp's full chain always, to check that the shortcuts pick the same tokens. */
  static volatile boolean alwaysFullChain;

  private final Mode mode;
  private final int topK;
  private final NativeSampler sampler;

  /**
   * @param contextPerSequence the most tokens a sequence holds: what the penalties look back over at most
   */
  TokenPicker(NativeContext context, StreamConfig c, long seed, int contextPerSequence) {
    // -1 means the whole context; larger values mean the same and would only make llama.cpp allocate more.
    int lastN = c.repeatLastN() < 0 ? contextPerSequence : Math.min(c.repeatLastN(), contextPerSequence);
    NativeSampler.Settings s = new NativeSampler.Settings((float) c.temperature(), c.topK(), (float) c.topP(),
        (float) c.minP(), seed, (float) c.repeatPenalty(), lastN, (float) c.frequencyPenalty(),
        (float) c.presencePenalty());
    this.topK = c.topK();
    if (s.penalises() || alwaysFullChain) {
      mode = Mode.FULL;
    } else if (c.temperature() <= 0) {
      mode = Mode.GREEDY;
    } else if (topK > 0 && topK <= LogitScan.MAX_CANDIDATES) {
      mode = Mode.CANDIDATES;
    } else {
      mode = Mode.FULL;
    }
    this.sampler = switch (mode) {
      case GREEDY -> null;
      case CANDIDATES -> NativeSampler.overCandidates(context, s, topK);
      case FULL -> NativeSampler.full(context, s);
    };
  }

  /** How many sorted candidates the logit scan must keep for this picker. */
  int candidatesNeeded() {
    return mode == Mode.CANDIDATES ? topK : 0;
  }

  /** Picks the token for batch row {@code row}, after {@code scan} has run over that row. */
  int pick(NativeContext context, int row, LogitScan scan) {
    return switch (mode) {
      case GREEDY -> scan.argmax;
      // The scan may have kept more candidates than top-k (for top_logprobs): sample among the first top-k.
      case CANDIDATES -> sampler.sampleFrom(scan.ids, scan.logits, Math.min(scan.count, topK));
      case FULL -> sampler.sample(context, row);
    };
  }

  /** Whether {@link #replay} has anything to do: a random draw or a penalty history to advance. */
  boolean replays() {
    return mode != Mode.GREEDY;
  }

  /**
   * Replays a token another worker sampled at this position, so that this sampler's state (its
   * random generator, its penalty history) goes on from where that worker's was. The chain runs as
   * it would have on these logits; the choice it makes is dropped.
   *
   * @return the token this chain picked, which matches {@code token} unless the logits differ
   */
  int replay(NativeContext context, int row, LogitScan scan) {
    return switch (mode) {
      case GREEDY -> scan.argmax;
      case CANDIDATES -> sampler.sampleFrom(scan.ids, scan.logits, Math.min(scan.count, topK));
      case FULL -> sampler.sample(context, row);
    };
  }

  @Override
  public void close() {
    if (sampler != null) {
      sampler.close();
    }
  }
}
