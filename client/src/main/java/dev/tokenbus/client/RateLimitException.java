package dev.tokenbus.client;

import java.time.Duration;

/**
 * Every slot is busy and the model's waiting queue is full (429 {@code rate_limit_error}); try again after
 * {@link #retryAfter()}.
 */
public class RateLimitException extends TokenbusException {

  private final Duration retryAfter;

  /**
   * See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}.
   *
   * @param retryAfter the gateway's {@code Retry-After}, or null when it sent none
   */
  public RateLimitException(String message, String type, String code, String param, int status, Duration retryAfter) {
    super(message, type, code, param, status, null);
    this.retryAfter = retryAfter;
  }

  /** When to come back, as the gateway estimated it; null when it did not say. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
