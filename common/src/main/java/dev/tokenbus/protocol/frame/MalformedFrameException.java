package dev.tokenbus.protocol.frame;

/** Bytes that do not decode to a frame: truncated, an unknown type or code, a count the input cannot hold. */
public final class MalformedFrameException extends RuntimeException {

  public MalformedFrameException(String message) {
    super(message);
  }

  public MalformedFrameException(String message, Throwable cause) {
    super(message, cause);
  }
}
