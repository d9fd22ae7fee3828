package dev.tokenbus.gateway.json;

import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Reading a request's fields with the type each must have. Every reader returns the fallback for
 * an absent or {@code null} field and throws {@link RequestValidationException} naming the field
 * for a value of another type, so every route words its 400s alike.
 */
public final class Fields {

  private Fields() {}

  /** The request's body as a JSON object, as {@link #object(Buffer)}. */
  public static JsonObject body(RoutingContext ctx) {
    return object(ctx.body() == null ? null : ctx.body().buffer());
  }

  /**
   * A request body as a JSON object, or a {@link DecodeException} saying why it is not one (a
   * {@link RequestValidationException} when a string in it is not text): checked by
   * {@link StrictJson} before it is parsed, and by {@link WellFormedText} after.
   */
  public static JsonObject object(Buffer body) {
    if (body == null || body.length() == 0) {
      throw new DecodeException("the body is empty; send a JSON object");
    }
    StrictJson.check(body.getBytes());
    Object parsed = body.toJsonValue();
    if (!(parsed instanceof JsonObject o)) {
      throw new DecodeException("the body must be a JSON object, got " + kind(parsed));
    }
    return WellFormedText.require(o);
  }

  /** An integer that fits an {@code int}. */
  public static int integer(JsonObject b, String key, int fallback) {
    long v = longInteger(b, key, fallback);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new RequestValidationException(key, key + " is out of range: " + v);
    }
    return (int) v;
  }

  /** An integer (a number with no fraction), at most 9e15 in magnitude. */
  public static long longInteger(JsonObject b, String key, long fallback) {
    Object v = b.getValue(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Number n)) {
      throw new RequestValidationException(key, key + " must be an integer, got " + kind(v));
    }
    double d = n.doubleValue();
    if (d != Math.rint(d) || Double.isInfinite(d)) {
      throw new RequestValidationException(key, key + " must be an integer, got " + n);
    }
    if (Math.abs(d) > 9.0e15) {
      throw new RequestValidationException(key, key + " is out of range: " + n);
    }
    return n.longValue();
  }

  /** Any JSON number. */
  public static double number(JsonObject b, String key, double fallback) {
    Object v = b.getValue(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Number n)) {
      throw new RequestValidationException(key, key + " must be a number, got " + kind(v));
    }
    return n.doubleValue();
  }

  /** {@code true} or {@code false}. */
  public static boolean bool(JsonObject b, String key, boolean fallback) {
    Object v = b.getValue(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Boolean x)) {
      throw new RequestValidationException(key, key + " must be a boolean, got " + kind(v));
    }
    return x;
  }

  /** A string; {@code null} when absent. */
  public static String string(JsonObject b, String key) {
    Object v = b.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new RequestValidationException(key, key + " must be a string, got " + kind(v));
    }
    return s;
  }

  /** How a value is named in an error: "a string", "an array", ... */
  public static String kind(Object v) {
    return switch (v) {
      case null -> "null";
      case String s -> "a string";
      case Boolean x -> "a boolean";
      case Number n -> "a number";
      case JsonObject o -> "an object";
      case JsonArray a -> "an array";
      default -> v.getClass().getSimpleName();
    };
  }}
