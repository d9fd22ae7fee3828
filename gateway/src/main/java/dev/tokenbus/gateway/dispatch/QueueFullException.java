package dev.tokenbus.gateway.dispatch;

/** Every slot is busy and the model's waiting queue is full. Maps to HTTP 429 with {@code Retry-After}. */
public class QueueFullException extends RuntimeException {

  private final long retryAfterSeconds;

  public QueueFullException(String message, long retryAfterSeconds) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** When a retry has a fair chance, estimated from the queue length and the recent service time. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
