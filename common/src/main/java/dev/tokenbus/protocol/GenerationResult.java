package dev.tokenbus.protocol;

/**
 * How a generation ended.
 *
 * @param error for {@link FinishReason#ERROR}: what went wrong; null otherwise
 * @param seed the seed the sampler used, so that the run can be repeated
 * @param stopSequence the stop sequence that ended it (a {@link FinishReason#STOP} whose matched
 *     text was not emitted), or null when it ended otherwise (an end-of-generation token, a limit)
 */
public record GenerationResult(FinishReason finishReason, Usage usage, Timings timings, String error, long seed,
    String stopSequence) {

  /** A result that no stop sequence ended. */
  public GenerationResult(FinishReason finishReason, Usage usage, Timings timings, String error, long seed) {
    this(finishReason, usage, timings, error, seed, null);
  }
}
