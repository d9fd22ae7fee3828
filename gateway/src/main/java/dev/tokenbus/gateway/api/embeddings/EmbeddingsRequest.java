package dev.tokenbus.gateway.api.embeddings;

import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.protocol.EmbeddingsWire;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An embeddings request as OpenAI defines it, read strictly: {@code model}, {@code input} in one of
 * its four forms (a string, an array of strings, an array of token ids, an array of token-id arrays),
 * {@code encoding_format} ({@code float} or {@code base64}), {@code dimensions} (passed to the
 * worker, which refuses any but its model's size) and {@code user} (accepted, unused).
 *
 * @param model the model asked for, or null
 * @param input the inputs as the worker takes them ({@link EmbeddingsWire#request})
 * @param base64 whether vectors are answered as base64 of little-endian float32 rather than numbers
 * @param dimensions the size asked for, or null
 */
record EmbeddingsRequest(String model, JsonArray input, boolean base64, Integer dimensions) {

  /** Most inputs in one request (OpenAI's limit). */
  static final int MAX_INPUTS = 2048;
  /** Most token ids in one request, over all its inputs (OpenAI's limit on a request's tokens). */
  static final int MAX_TOKEN_IDS = 300_000;
  /** Most characters of text in one request, over all its inputs. */
  static final int MAX_TEXT_CHARS = 4 << 20;

  /** The request to send the worker. */
  JsonObject toWire() {
    return EmbeddingsWire.request(input, dimensions);
  }

  /** @throws RequestValidationException naming the first field that is wrong */
  static EmbeddingsRequest parse(JsonObject b) {
    String model = Fields.string(b, "model");
    Fields.string(b, "user");
    Object format = b.getValue("encoding_format");
    boolean base64 = switch (format) {
      case null -> false;
      case String f when f.equals("float") -> false;
      case String f when f.equals("base64") -> true;
      case String other -> throw new RequestValidationException("encoding_format",
          "encoding_format must be 'float' or 'base64', got '" + clip(other) + "'");
      default -> throw new RequestValidationException("encoding_format",
          "encoding_format must be a string, got " + Fields.kind(format));
    };
    Integer dimensions = null;
    if (b.getValue("dimensions") != null) {
      dimensions = Fields.integer(b, "dimensions", 0);
      if (dimensions < 1) {
        throw new RequestValidationException("dimensions", "dimensions must be at least 1, got " + dimensions);
      }
    }
    return new EmbeddingsRequest(model, input(b.getValue("input")), base64, dimensions);
  }

  private static JsonArray input(Object input) {
    return switch (input) {
      case null -> throw new RequestValidationException("input", "input is required");
      case String text -> new JsonArray().add(text(text, "input", new int[1]));
      case JsonArray array -> array(array);
      default -> throw new RequestValidationException("input", "input must be a string, an array of strings,"
          + " an array of token ids or an array of token-id arrays, got " + Fields.kind(input));
    };
  }

  /** The array forms: all strings, all token ids (one input), or all arrays of token ids. */
  private static JsonArray array(JsonArray array) {
    if (array.isEmpty()) {
      throw new RequestValidationException("input", "input must not be an empty array");
    }
    Object first = array.getValue(0);
    if (first instanceof Number) {
      int[] ids = new int[1];
      return new JsonArray().add(ids(array, "input", ids));
    }
    if (array.size() > MAX_INPUTS) {
      throw new RequestValidationException("input", "input has " + array.size() + " items, more than "
          + MAX_INPUTS);
    }
    JsonArray out = new JsonArray();
    int[] total = new int[1];
    boolean texts = first instanceof String;
    for (int i = 0; i < array.size(); i++) {
      Object item = array.getValue(i);
      String param = "input[" + i + "]";
      if (texts && item instanceof String s) {
        out.add(text(s, param, total));
      } else if (!texts && item instanceof JsonArray ids) {
        out.add(ids(ids, param, total));
      } else {
        throw new RequestValidationException(param, param + " must be "
            + (texts ? "a string like input[0]" : first instanceof JsonArray ? "an array of token ids like input[0]"
                : "a string or an array of token ids") + ", got " + Fields.kind(item));
      }
    }
    return out;
  }

  /** A non-empty text; {@code total[0]} counts the request's characters. */
  private static String text(String s, String param, int[] total) {
    if (s.isEmpty()) {
      throw new RequestValidationException(param, param + " must not be empty");
    }
    total[0] += s.length();
    if (total[0] > MAX_TEXT_CHARS) {
      throw new RequestValidationException("input", "input has more than " + MAX_TEXT_CHARS + " characters of text");
    }
    return s;
  }

  /** Non-empty token ids (non-negative integers); {@code total[0]} counts the request's ids. */
  private static JsonArray ids(JsonArray array, String param, int[] total) {
    if (array.isEmpty()) {
      throw new RequestValidationException(param, param + " must not be an empty array of token ids");
    }
    total[0] += array.size();
    if (total[0] > MAX_TOKEN_IDS) {
      throw new RequestValidationException("input", "input has more than " + MAX_TOKEN_IDS + " token ids");
    }
    for (int i = 0; i < array.size(); i++) {
      Object id = array.getValue(i);
      if (!(id instanceof Integer n) || n < 0) {
        throw new RequestValidationException(param, param + "[" + i + "] must be a token id (an integer from 0),"
            + " got " + (id instanceof Number ? id : Fields.kind(id)));
      }
    }
    return array;
  }

  private static String clip(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
