package dev.tokenbus.gateway.json;

import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * Refuses a request whose JSON strings are not text: a lone UTF-16 surrogate ({@code "\ud800"}) is
 * valid JSON but encodes no character, and would reach the tokenizer as garbage bytes. The error
 * names the field, e.g. {@code messages[0].content}.
 */
public final class WellFormedText {

  private WellFormedText() {}

  /** Throws a {@link RequestValidationException} naming the first string (or key) with a lone surrogate. */
  public static JsonObject require(JsonObject body) {
    check(body, "");
    return body;
  }

  private static void check(Object value, String path) {
    switch (value) {
      case String s -> {
        int at = loneSurrogate(s);
        if (at >= 0) {
          String field = path.isEmpty() ? "body" : path;
          throw new RequestValidationException(field, field + " has a lone UTF-16 surrogate (\\u"
              + Integer.toHexString(s.charAt(at)) + " at index " + at + "); send well-formed Unicode text");
        }
      }
      case JsonObject o -> {
        for (Map.Entry<String, Object> e : o) {
          String child = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
          check(e.getKey(), child);
          if (e.getValue() != null) {
            check(e.getValue(), child);
          }
        }
      }
      case JsonArray a -> {
        for (int i = 0; i < a.size(); i++) {
          if (a.getValue(i) != null) {
            check(a.getValue(i), path + "[" + i + "]");
          }
        }
      }
      default -> { }
    }
  }

  /** The index of the first unpaired surrogate in {@code s}, or -1. */
  public static int loneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return i;
        }
      } else if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }
}
