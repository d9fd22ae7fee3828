package dev.tokenbus.gateway.serve;

import dev.tokenbus.flow.TokenStreamException;
import dev.tokenbus.gateway.dispatch.GenerationRefusedException;
import dev.tokenbus.gateway.dispatch.ModelNotFoundException;
import dev.tokenbus.gateway.dispatch.NoWorkerException;
import dev.tokenbus.gateway.dispatch.QueueFullException;
import dev.tokenbus.gateway.dispatch.ShuttingDownException;
import dev.tokenbus.gateway.dispatch.StreamInUseException;
import dev.tokenbus.gateway.dispatch.StreamNotFoundException;
import dev.tokenbus.gateway.dispatch.WorkerNotFoundException;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.frame.RefuseFrame;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * An error as clients see it: an HTTP status and OpenAI's error object
 * {@code {"error":{"message","type","param","code"}}}. Every failure path of the gateway goes
 * through {@link #of(Throwable)}, so statuses and shapes are the same everywhere.
 */
public record ApiError(int status, String type, String message, String param, String code) {

  /**
   * The error codes requests most often fail with, and every stream error type, whose
   * {@code tokenbus_request_errors_total} series exist from the start, at 0.
   */
  public static final java.util.List<String> COMMON_CODES = java.util.stream.Stream.concat(
      java.util.stream.Stream.of("invalid_value", "invalid_json", "context_length_exceeded", "model_not_found",
          "queue_full", "shutting_down"),
      java.util.Arrays.stream(StreamErrorType.values()).map(StreamErrorType::wireName)).distinct().toList();

  public static ApiError invalid(String message, String param, String code) {
    return new ApiError(400, "invalid_request_error", message, param, code);
  }

  public static ApiError of(Throwable t) {
    return switch (t) {
      case RequestValidationException e -> invalid(e.getMessage(), e.param(), "invalid_value");
      case DecodeException e -> invalid("the body is not valid JSON: " + firstLine(e.getMessage()), null, "invalid_json");
      case GenerationRefusedException e when e.reason() == RefuseFrame.Reason.CONTEXT_LENGTH_EXCEEDED ->
          invalid(e.getMessage(), e.param(), "context_length_exceeded");
      case GenerationRefusedException e -> invalid(e.getMessage(), e.param(), "invalid_value");
      case ShuttingDownException e -> new ApiError(503, "service_unavailable_error", e.getMessage(), null,
          "shutting_down");
      case TokenStreamException e when e.type() == StreamErrorType.CANCELLED ->
          new ApiError(499, "cancelled", e.getMessage(), null, "cancelled");
      case TokenStreamException e -> ofStream(e.type(), e.getMessage());
      case NoWorkerException e -> new ApiError(503, "service_unavailable_error", e.getMessage(), null, "no_worker");
      case QueueFullException e -> new ApiError(429, "rate_limit_error", e.getMessage(), null, "queue_full");
      case ModelNotFoundException e -> new ApiError(404, "invalid_request_error", e.getMessage(), "model",
          "model_not_found");
      case StreamNotFoundException e -> new ApiError(404, "invalid_request_error", e.getMessage(), null,
          "stream_not_found");
      case WorkerNotFoundException e -> new ApiError(404, "invalid_request_error", e.getMessage(), null,
          "worker_not_found");
      case StreamInUseException e -> new ApiError(409, "invalid_request_error", e.getMessage(), null,
          "stream_in_use");
      default -> new ApiError(500, "server_error", "internal error: " + t.getClass().getSimpleName(), null, null);
    };
  }

  public static ApiError tooLarge(long limit) {
    return new ApiError(413, "invalid_request_error", "the request body is larger than " + limit + " bytes", null,
        "request_too_large");
  }

  public static ApiError notFound(String what) {
    return new ApiError(404, "not_found_error", what, null, "not_found");
  }

  public static ApiError methodNotAllowed(String method) {
    return new ApiError(405, "invalid_request_error", "method " + method + " is not allowed here", null,
        "method_not_allowed");
  }

  /**
   * The HTTP answer for a stream that failed after it was opened, when nothing was sent yet
   * (a non-streaming request): 503 when a worker failed or went away, 504 for a timeout.
   */
  public static ApiError ofStream(StreamErrorType type, String message) {
    return new ApiError(type.httpStatus(), type.wireName(), message, null, null);
  }

  /** Sends this error as the response, unless the response is already over. */
  public void send(HttpServerResponse response) {
    if (!response.ended() && !response.closed()) {
      response.setStatusCode(status).putHeader("Content-Type", "application/json").end(toJson().encode());
    }
  }

  /** The error object without the envelope: {@code {"message","type","param","code"}}. */
  public JsonObject body() {
    return new JsonObject().put("message", message).put("type", type).put("param", param).put("code", code);
  }

  /** {@code {"error": {...}}}. */
  public JsonObject toJson() {
    return new JsonObject().put("error", body());
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    String line = nl >= 0 ? s.substring(0, nl) : s;
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
