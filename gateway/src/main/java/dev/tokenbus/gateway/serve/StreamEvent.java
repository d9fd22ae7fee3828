package dev.tokenbus.gateway.serve;

import dev.tokenbus.flow.TokenStreamException;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.TokenData;

/**
 * One event of a relayed generation, as the relay hands it to an API's encoder (an
 * {@link EventChannel}): any number of {@link Token}s, then exactly one {@link Done} or
 * {@link Failed}. Every API (native SSE and WebSocket, OpenAI's chat and completions) is one
 * encoder of these events; none reads back what another wrote.
 */
public sealed interface StreamEvent {

  /** A generated token (the last one carries the finish reason). */
  record Token(TokenData token) implements StreamEvent {}

  /**
   * The generation ended normally.
   *
   * @param gatewayQueueMs how long the request waited at the gateway for a slot
   */
  record Done(GenerationResult result, double gatewayQueueMs) implements StreamEvent {}

  /** The generation ended in an error after it was opened. */
  record Failed(StreamErrorType type, String message) implements StreamEvent {

    /** The failure a stream ended with: its own type, or a server error for anything else. */
    public static Failed of(Throwable t) {
      if (t instanceof TokenStreamException e) {
        return new Failed(e.type(), e.getMessage());
      }
      return new Failed(StreamErrorType.SERVER_ERROR,
          ApiError.of(t == null ? new IllegalStateException("stream failed") : t).message());
    }
  }
}
