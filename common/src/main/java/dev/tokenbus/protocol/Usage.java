package dev.tokenbus.protocol;

/**
 * Token counts of one generation.
 *
 * @param promptTokens tokens of the prompt
 * @param completionTokens tokens generated
 * @param cachedTokens prompt tokens whose KV cells came from the worker's prefix cache instead of
 *     being computed (OpenAI's {@code prompt_tokens_details.cached_tokens}); at most promptTokens
 */
public record Usage(int promptTokens, int completionTokens, int cachedTokens) {

  /** Counts without cached tokens. */
  public Usage(int promptTokens, int completionTokens) {
    this(promptTokens, completionTokens, 0);
  }

  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}
