package dev.tokenbus.client;

import java.util.List;

/**
 * One generated token.
 *
 * @param index its position in the generation, from 0, without gaps (also across a resumed connection)
 * @param text the text it adds; may be empty (bytes of a character that the next token completes,
 *     or a final token that carries no text)
 * @param tokenId the vocabulary id, or -1 for a final token that stands for no model token (a timeout)
 * @param logprob its natural-log probability under the model's unmodified distribution
 * @param topLogprobs the most likely alternatives, best first; empty unless {@link StreamConfig#topLogprobs()} &gt; 0
 * @param isFinal true on the last token of a generation, and only there
 * @param finishReason why the generation ended, on the final token; null on the others
 * @param reasoning true when {@code text} is a thinking model's reasoning rather than its answer
 */
public record TokenData(int index, String text, int tokenId, double logprob, List<TopLogprob> topLogprobs,
    boolean isFinal, FinishReason finishReason, boolean reasoning) {

  /** A token of the answer. */
  public TokenData(int index, String text, int tokenId, double logprob, List<TopLogprob> topLogprobs,
      boolean isFinal, FinishReason finishReason) {
    this(index, text, tokenId, logprob, topLogprobs, isFinal, finishReason, false);
  }

  /** Copies {@code topLogprobs}; a null list is empty, a null text is "". */
  public TokenData {
    text = text == null ? "" : text;
    topLogprobs = topLogprobs == null ? List.of() : List.copyOf(topLogprobs);
  }
}
