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
import io.vertx.ext.web.RoutingContext;

/**
 * An error as clients see it: an HTTP status and OpenAI's error object
 * {@code {"error":{"message","type","param","code"}}}. Every failure path of the gateway goes
 * through {@link #of(Throwable)}, so statuses and shapes are the same everywhere. Routes of
 * Anthropic's API render the same error in Anthropic's shape ({@link #anthropicJson}), with the same
 * status; a route says which shape its errors take with {@link Shape#use}.
 */
public record ApiError(int status, String type, String message, String param, String code) {

  /** The JSON shape an API's errors take. */
  public enum Shape {
    /** {@code {"error":{"message","type","param","code"}}}: every route but Anthropic's. */
    OPENAI,
    /** {@code {"type":"error","error":{"type","message"}}}: Anthropic's Messages API. */
    ANTHROPIC;

    /** The routing context's entry for the shape of the request's errors. */
    private static final String KEY = "tokenbus.error-shape";

    /** Makes the request's errors take this shape, from wherever they are sent (401 and 413 included). */
    public void use(RoutingContext ctx) {
      ctx.put(KEY, this);
    }

    /** The shape of the request's errors: OpenAI's unless its route said otherwise. */
    public static Shape of(RoutingContext ctx) {
      Shape s = ctx.get(KEY);
      return s != null ? s : OPENAI;
    }
  }

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

  /** Sends this error as the response in OpenAI's shape, unless the response is already over. */
  public void send(HttpServerResponse response) {
    send(response, Shape.OPENAI);
  }

  /** Sends this error as the response in the shape of the request's API, unless the response is already over. */
  public void send(RoutingContext ctx) {
    send(ctx.response(), Shape.of(ctx));
  }

  /** Sends this error as the response in {@code shape}, unless the response is already over. */
  public void send(HttpServerResponse response, Shape shape) {
    if (!response.ended() && !response.closed()) {
      JsonObject body = shape == Shape.ANTHROPIC ? anthropicJson() : toJson();
      response.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }
  }

  /**
   * Anthropic's error type for this error, by its status as Anthropic's API documents them
   * (400 and the other 4xx: {@code invalid_request_error}); a gateway that cannot serve now
   * (no worker, shutting down, a worker failed: 503) is {@code overloaded_error}, which Anthropic's
   * clients retry as they retry its 529.
   */
  public String anthropicType() {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 413 -> "request_too_large";
      case 429 -> "rate_limit_error";
      case 503, 529 -> "overloaded_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }

  /**
   * Anthropic's shape: {@code {"type":"error","error":{"type","message"}}} (a stream's {@code error}
   * event too). It has no {@code param}: the message names the field when it does not already.
   */
  public JsonObject anthropicJson() {
    String text = param == null || message == null || message.contains(param) ? message : param + ": " + message;
    return new JsonObject().put("type", "error")
        .put("error", new JsonObject().put("type", anthropicType()).put("message", text));
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
