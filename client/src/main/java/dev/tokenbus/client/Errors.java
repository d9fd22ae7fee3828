package dev.tokenbus.client;

import io.vertx.core.json.JsonObject;
import java.time.Duration;

/** Turns the server's error objects into this client's exception classes. */
final class Errors {

  static final String CONNECTION = "connection_error";
  static final String PROTOCOL = "protocol_error";

  private Errors() {}

  /**
   * The exception for an error object {@code {message, type, code, param}}.
   *
   * @param status the HTTP status of a refused request (over WebSocket, the one the error frame
   *     carries), 0 for an error event of a running stream
   * @param retryAfter how long to wait before trying again, or null
   */
  static TokenbusException of(JsonObject error, int status, Duration retryAfter) {
    JsonObject e = error == null ? new JsonObject() : error;
    String type = string(e, "type", status == 0 ? "server_error" : "http_" + status);
    String code = string(e, "code", null);
    String param = string(e, "param", null);
    String message = string(e, "message", status == 0 ? "the stream failed (" + type + ")"
        : "the gateway answered " + status);
    if ("invalid_api_key".equals(code) || status == 401) {
      return new AuthenticationException(message, type, code, param, status, null);
    }
    if ("model_not_found".equals(code)) {
      return new ModelNotFoundException(message, type, code, param, status, null);
    }
    if ("stream_not_found".equals(code)) {
      return new StreamNotFoundException(message, type, code, param, status, null);
    }
    if ("context_length_exceeded".equals(code)) {
      return new ContextLengthExceededException(message, type, code, param, status, null);
    }
    return switch (type) {
      case "invalid_request_error" -> new InvalidRequestException(message, type, code, param, status, null);
      case "rate_limit_error" -> new RateLimitException(message, type, code, param, status, retryAfter);
      case "service_unavailable_error", "no_worker", "worker_shutdown", "gateway_shutdown" ->
          new ServiceUnavailableException(message, type, code, param, status, null);
      case "worker_lost", "worker_unresponsive" -> new WorkerLostException(message, type, code, param, status, null);
      case "cancelled" -> new CancelledException(message, type, code, param, status, null);
      case "timeout" -> new StreamTimeoutException(message, type, code, param, status, null);
      case PROTOCOL -> new ProtocolException(message, type, code, param, status, null);
      default -> new TokenbusException(message, type, code, param, status, null);
    };
  }

  /**
   * A value this client refuses before sending anything: an {@code invalid_request_error} with code
   * {@code invalid_value}, naming {@code param}, status 0.
   */
  static InvalidRequestException invalid(String param, String message) {
    return invalid(param, message, null);
  }

  /** {@link #invalid(String, String)} caused by {@code cause}. */
  static InvalidRequestException invalid(String param, String message, Throwable cause) {
    return new InvalidRequestException(message, "invalid_request_error", "invalid_value", param, 0, cause);
  }

  static ConnectionException connection(String message, Throwable cause) {
    return new ConnectionException(message, CONNECTION, null, null, 0, cause);
  }

  static ProtocolException protocol(String message, Throwable cause) {
    return new ProtocolException(message, PROTOCOL, null, null, 0, cause);
  }

  static CancelledException cancelled(String message) {
    return new CancelledException(message, "cancelled", null, null, 0, null);
  }

  private static String string(JsonObject o, String key, String fallback) {
    Object v = o.getValue(key);
    return v instanceof String s ? s : fallback;
  }

  /** HTTP's {@code Retry-After} in seconds; null when absent or not a number. */
  static Duration seconds(String header) {
    if (header == null) {
      return null;
    }
    try {
      return Duration.ofSeconds(Long.parseLong(header.trim()));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
