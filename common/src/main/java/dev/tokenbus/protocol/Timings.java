package dev.tokenbus.protocol;

/**
 * Where one generation's time went, in milliseconds, as the engine saw it.
 *
 * @param queueMs from submission until its prompt entered a decode step
 * @param promptMs prompt processing, until the first token was sampled
 * @param generationMs from the first token to the end
 */
public record Timings(double queueMs, double promptMs, double generationMs, int promptTokens, int generatedTokens) {

  /** Prompt tokens per second. */
  public double promptPerSecond() {
    return promptMs > 0 ? promptTokens * 1000.0 / promptMs : 0.0;
  }

  /** Generated tokens per second after the first. */
  public double tokensPerSecond() {
    return generationMs > 0 && generatedTokens > 1 ? (generatedTokens - 1) * 1000.0 / generationMs : 0.0;
  }
}
