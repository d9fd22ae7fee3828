package dev.tokenbus.protocol;

/**
 * How a generation ended.
 *
 * @param error for {@link FinishReason#ERROR}: what went wrong; null otherwise
 * @param seed the seed the sampler used, so that the run can be repeated
 */
public record GenerationResult(FinishReason finishReason, Usage usage, Timings timings, String error, long seed) {}
