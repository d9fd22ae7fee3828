package dev.tokenbus.client;

/**
 * What the server reports when a generation is over (its {@code done} event).
 *
 * @param finishReason why it ended, as on the final token
 * @param promptTokens tokens of the prompt (the rendered chat, for messages)
 * @param completionTokens tokens generated
 * @param seed the seed it sampled with: send it back with the same request to repeat the run
 */
public record StreamSummary(FinishReason finishReason, int promptTokens, int completionTokens, long seed) {}
