package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.TokenData;
import java.util.List;

/**
 * Worker to gateway: one or more tokens, in order; each spends one credit.
 *
 * @param generated tokens the worker has sampled so far for this stream (may run ahead of what it sent)
 */
public record TokensFrame(String streamId, int generated, List<TokenData> tokens) implements Frame {
  public TokensFrame {
    tokens = List.copyOf(tokens);
  }
}
