package dev.tokenbus.protocol;

import java.util.List;

/**
 * One generated token as it streams to the client.
 *
 * @param index position of this token in the generation, from 0
 * @param text the text this token adds; may be empty when its bytes end inside a UTF-8 character
 *     (they are carried to the next token) or it is an end-of-generation token
 * @param tokenId the vocabulary id, or -1 for a final frame that carries no token (timeout)
 * @param logprob natural-log probability of this token under the model's unmodified distribution
 * @param topLogprobs the most likely alternatives at this position, best first; empty unless asked for
 * @param isFinal true on exactly one frame, the last
 * @param finishReason set on the final frame, null otherwise
 * @param reasoning true when {@code text} is the model's thinking, not its answer: text inside a
 *     think block (or a reasoning channel). The worker splits them, so every API sees the same; the
 *     tokens that spell the block's markers carry empty text, flagged as reasoning
 */
public record TokenData(int index, String text, int tokenId, double logprob, List<TopLogprob> topLogprobs,
    boolean isFinal, FinishReason finishReason, boolean reasoning) {

  /** A token of the answer (not reasoning). */
  public TokenData(int index, String text, int tokenId, double logprob, List<TopLogprob> topLogprobs,
      boolean isFinal, FinishReason finishReason) {
    this(index, text, tokenId, logprob, topLogprobs, isFinal, finishReason, false);
  }

  public TokenData {
    topLogprobs = topLogprobs == null ? List.of() : topLogprobs;
    if (isFinal != (finishReason != null)) {
      throw new IllegalArgumentException("a final token needs a finish reason, and only a final token has one");
    }
  }

  /** This token as the last of its generation. */
  public TokenData asFinal(FinishReason reason) {
    return new TokenData(index, text, tokenId, logprob, topLogprobs, true, reason, reasoning);
  }

  /** This token, its text marked as reasoning or as answer. */
  public TokenData withReasoning(boolean r) {
    return r == reasoning ? this : new TokenData(index, text, tokenId, logprob, topLogprobs, isFinal, finishReason, r);
  }

  /** This token with its text replaced (cut at a stop sequence, or with carried bytes added). */
  public TokenData withText(String newText) {
    return new TokenData(index, newText, tokenId, logprob, topLogprobs, isFinal, finishReason, reasoning);
  }

  /** A final frame that carries no token, for generations that end between tokens. */
  public static TokenData end(int index, String text, FinishReason reason) {
    return new TokenData(index, text, -1, 0.0, List.of(), true, reason);
  }
}
