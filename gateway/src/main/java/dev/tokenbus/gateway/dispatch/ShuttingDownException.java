package dev.tokenbus.gateway.dispatch;

/** The gateway is shutting down and takes no new generation. Maps to HTTP 503 with code {@code shutting_down}. */
public final class ShuttingDownException extends NoWorkerException {
  public ShuttingDownException(String message) {
    super(message);
  }
}
