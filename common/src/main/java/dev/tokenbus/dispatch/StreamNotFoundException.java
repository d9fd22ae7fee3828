package dev.tokenbus.dispatch;

/** A stream to resume is not held by any gateway: it ended, or its grace period for a reconnect ran out. */
public final class StreamNotFoundException extends RuntimeException {

  public StreamNotFoundException(String message) {
    super(message);
  }
}
