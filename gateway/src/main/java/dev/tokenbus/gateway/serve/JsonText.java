package dev.tokenbus.gateway.serve;

import dev.tokenbus.protocol.JsonStrings;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * JSON text appended to a {@link StringBuilder} exactly as {@link JsonObject#encode()} writes it
 * (one line, keys in insertion order, the same escapes and numbers), without a Jackson generator
 * and its intermediate string per value: streamed events are encoded into the buffer their channel
 * gathers, where {@code encode()} cost an SSE token about 1 KB of garbage. Strings, numbers,
 * booleans, null, {@link JsonObject}, {@link JsonArray}, maps and lists are written here; any other
 * value (an {@code Instant}, a {@code byte[]}, a {@code BigDecimal}...) is written by Vert.x's codec.
 */
public final class JsonText {

  private JsonText() {}

  /** Appends {@code value} as JSON; returns {@code out}. */
  public static StringBuilder append(StringBuilder out, Object value) {
    switch (value) {
      case null -> out.append("null");
      case String s -> string(out, s);
      case Integer i -> out.append(i.intValue());
      case Long l -> out.append(l.longValue());
      case Boolean b -> out.append(b.booleanValue());
      case Double d -> {
        if (Double.isFinite(d)) {
          out.append(d.doubleValue());
        } else {
          string(out, d.toString()); // as Jackson quotes non-numeric numbers
        }
      }
      case Float f -> {
        if (Float.isFinite(f)) {
          out.append(f.floatValue());
        } else {
          string(out, f.toString());
        }
      }
      case JsonObject o -> object(out, o.getMap());
      case JsonArray a -> array(out, a.getList());
      case Map<?, ?> m -> object(out, m);
      case List<?> l -> array(out, l);
      case Short s -> out.append(s.intValue());
      case Byte b -> out.append(b.intValue());
      default -> out.append(Json.encode(value));
    }
    return out;
  }

  private static void object(StringBuilder out, Map<?, ?> map) {
    out.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      string(out, String.valueOf(e.getKey()));
      out.append(':');
      append(out, e.getValue());
    }
    out.append('}');
  }

  private static void array(StringBuilder out, List<?> list) {
    out.append('[');
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      append(out, list.get(i));
    }
    out.append(']');
  }

  private static void string(StringBuilder out, String s) {
    JsonStrings.append(out, s, true);
  }
}
