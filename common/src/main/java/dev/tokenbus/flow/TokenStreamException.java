package dev.tokenbus.flow;

import dev.tokenbus.protocol.StreamErrorType;

/**
 * Why a {@link TokenStream} ended without its END: the worker's ERROR, a cancel, or a failure the
 * gateway noticed itself.
 */
public final class TokenStreamException extends RuntimeException {

  private final StreamErrorType type;

  public TokenStreamException(StreamErrorType type, String message) {
    this(type, message, null);
  }

  public TokenStreamException(StreamErrorType type, String message, Throwable cause) {
    super(message, cause);
    this.type = type;
  }

  /** Why the stream failed: a gateway's own reason, or the type of the worker's ERROR. */
  public StreamErrorType type() {
    return type;
  }

  @Override
  public String toString() {
    return "TokenStreamException[" + type + "]: " + getMessage();
  }
}
