package dev.tokenbus.toolcall;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;

/**
 * Calls out of JSON text, loosely: a call object ({@code name} with {@code arguments} or
 * {@code parameters}, as an object or a JSON string, possibly inside {@code function}), an array of
 * them, or {@code {"tool_calls": [...]}}. Only calls of declared tools count; their arguments are
 * re-encoded compactly.
 */
final class JsonCalls {

  private JsonCalls() {}

  /** Adds the calls in one JSON text to {@code out}; text that is not JSON adds none. */
  static void read(String json, Set<String> names, List<ToolCall> out) {
    Object v;
    try {
      v = Json.decodeValue(json);
    } catch (DecodeException e) {
      return;
    }
    readValue(v, names, out);
  }

  private static void readValue(Object v, Set<String> names, List<ToolCall> out) {
    if (v instanceof JsonArray a) {
      for (Object o : a) {
        readValue(o, names, out);
      }
    } else if (v instanceof JsonObject o) {
      if (o.getValue("tool_calls") instanceof JsonArray calls) {
        readValue(calls, names, out);
        return;
      }
      JsonObject f = o.getValue("function") instanceof JsonObject inner ? inner : o;
      Object args = f.containsKey("arguments") ? f.getValue("arguments") : f.getValue("parameters");
      add(f.getValue("name"), args, names, out);
    }
  }

  /** Adds the call of {@code name} with {@code args} (an object, a JSON string of one, or null) when it is a declared tool's. */
  static void add(Object name, Object args, Set<String> names, List<ToolCall> out) {
    Object value = ToolCall.argumentsValue(args);
    if (name instanceof String n && names.contains(n) && (value == null || value instanceof JsonObject)) {
      out.add(new ToolCall(ToolCall.newId(), n, value == null ? "{}" : ((JsonObject) value).encode()));
    }
  }

  /** The first complete JSON value at the start of {@code text}, or null. */
  static Object first(String text) {
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) {
          try {
            return Json.decodeValue(text.substring(0, i + 1));
          } catch (DecodeException e) {
            return null;
          }
        }
      }
    }
    return null;
  }
}
