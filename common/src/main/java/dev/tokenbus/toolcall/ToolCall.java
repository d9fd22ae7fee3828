package dev.tokenbus.toolcall;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * One call the model made: the function's name and its arguments as JSON text (as OpenAI sends
 * them), with the call's id.
 */
public record ToolCall(String id, String name, String arguments) {

  /** A tool's name: 1 to 64 letters, digits, {@code _}, {@code .} or {@code -}, as OpenAI takes them. */
  public static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,64}");

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  /** OpenAI's {@code tool_calls[]} entry. */
  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("type", "function")
        .put("function", new JsonObject().put("name", name).put("arguments", arguments));
  }

  /**
   * A call id: 9 random letters and digits. Clients treat ids as opaque strings; Mistral's chat
   * template refuses any other shape when the call comes back in the conversation, so every model
   * gets this one and a conversation can move between models.
   */
  public static String newId() {
    StringBuilder b = new StringBuilder(9);
    for (int i = 0; i < 9; i++) {
      b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return b.toString();
  }

  /** A call's arguments as JSON: OpenAI sends them as a JSON string; text that is not JSON stays text. */
  public static Object argumentsValue(Object args) {
    if (args instanceof String a) {
      try {
        return Json.decodeValue(a);
      } catch (DecodeException e) {
        return a;
      }
    }
    return args;
  }
}
