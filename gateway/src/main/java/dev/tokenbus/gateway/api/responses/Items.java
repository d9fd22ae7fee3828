package dev.tokenbus.gateway.api.responses;

import static dev.tokenbus.gateway.json.Fields.kind;

import dev.tokenbus.gateway.api.ChatMessages;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * The Responses API's conversation items, in the one form tokenbus stores and answers them:
 * {@code message} ({@code role}, {@code content} as parts of {@code input_text} or
 * {@code output_text}), {@code function_call} ({@code call_id}, {@code name}, {@code arguments} as a
 * JSON string), {@code function_call_output} ({@code call_id}, {@code output}) and
 * {@code reasoning}. Input may also give a message in the short form {@code {role, content}} with
 * content a string; it is stored in the long form. Other item and part types (images, files,
 * references to items, built-in tools' calls) are refused, naming the item.
 */
final class Items {

  private static final Set<String> ROLES = Set.of("user", "assistant", "system", "developer");
  private static final Map<String, String> PREFIXES = Map.of("message", "msg_", "function_call", "fc_",
      "function_call_output", "fco_", "reasoning", "rs_");
  private static final int MAX_ID = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Items() {}

  /** {@code input}: a string (one user message) or an array of items, validated and in stored form. */
  static JsonArray input(Object value) {
    if (value instanceof String text) {
      if (text.isEmpty()) {
        throw new RequestValidationException("input", "input must not be empty");
      }
      return new JsonArray().add(message("user", text, "input_text").put("id", newId("msg_")));
    }
    if (!(value instanceof JsonArray items)) {
      throw new RequestValidationException("input", "input must be a string or an array of items, got " + kind(value));
    }
    if (items.isEmpty()) {
      throw new RequestValidationException("input", "input must not be empty");
    }
    if (items.size() > ChatMessages.MAX_MESSAGES) {
      throw new RequestValidationException("input", "input holds at most " + ChatMessages.MAX_MESSAGES + " items");
    }
    JsonArray out = new JsonArray();
    for (int i = 0; i < items.size(); i++) {
      out.add(item(items.getValue(i), "input[" + i + "]"));
    }
    return out;
  }

  /** A message item; {@code partType} is {@code input_text} or {@code output_text}. */
  static JsonObject message(String role, String text, String partType) {
    JsonObject part = new JsonObject().put("type", partType).put("text", text);
    if ("output_text".equals(partType)) {
      part.put("annotations", new JsonArray());
    }
    return new JsonObject().put("type", "message").put("role", role).put("content", new JsonArray().add(part));
  }

  private static JsonObject item(Object value, String at) {
    if (!(value instanceof JsonObject item)) {
      throw new RequestValidationException(at, at + " must be an object, got " + kind(value));
    }
    JsonObject out = typed(item, at);
    Object id = item.getValue("id");
    if (id != null && (!(id instanceof String s) || s.isEmpty() || s.length() > MAX_ID)) {
      throw new RequestValidationException(at + ".id", at + ".id must be a string of 1 to " + MAX_ID + " chars");
    }
    return out.put("id", id != null ? id : newId(PREFIXES.get(out.getString("type"))));
  }

  /** An id for an item: {@code prefix}, then 24 random hex digits. */
  static String newId(String prefix) {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }

  private static JsonObject typed(JsonObject item, String at) {
    Object type = item.getValue("type");
    if (type == null && item.getValue("role") != null) {
      type = "message";
    }
    if (!(type instanceof String t)) {
      throw new RequestValidationException(at + ".type", at + ".type must be a string");
    }
    return switch (t) {
      case "message" -> messageItem(item, at);
      case "function_call" -> new JsonObject().put("type", t)
          .put("call_id", text(item, "call_id", at)).put("name", text(item, "name", at))
          .put("arguments", text(item, "arguments", at));
      case "function_call_output" -> new JsonObject().put("type", t)
          .put("call_id", text(item, "call_id", at)).put("output", output(item.getValue("output"), at + ".output"));
      case "reasoning" -> reasoningItem(item, at);
      default -> throw new RequestValidationException(at + ".type", at + ".type '" + t + "' is not supported: items"
          + " are message, function_call, function_call_output or reasoning");
    };
  }

  private static JsonObject messageItem(JsonObject item, String at) {
    if (!(item.getValue("role") instanceof String role) || !ROLES.contains(role)) {
      throw new RequestValidationException(at + ".role", at + ".role must be user, assistant, system or developer");
    }
    Object content = item.getValue("content");
    if (content instanceof String s) {
      return message(role, s, "assistant".equals(role) ? "output_text" : "input_text");
    }
    if (!(content instanceof JsonArray parts) || parts.isEmpty()) {
      throw new RequestValidationException(at + ".content", at + ".content must be a string or a non-empty array"
          + " of text parts");
    }
    JsonArray out = new JsonArray();
    for (int i = 0; i < parts.size(); i++) {
      String p = at + ".content[" + i + "]";
      if (!(parts.getValue(i) instanceof JsonObject part) || !(part.getValue("type") instanceof String type)
          || !Set.of("input_text", "output_text", "text").contains(type)) {
        throw new RequestValidationException(p, p + " must be an input_text or output_text part; images and files"
            + " are not supported");
      }
      out.add(new JsonObject().put("type", "text".equals(type) ? "input_text" : type).put("text", text(part, "text", p)));
    }
    return new JsonObject().put("type", "message").put("role", role).put("content", out);
  }

  private static JsonObject reasoningItem(JsonObject item, String at) {
    StringBuilder text = new StringBuilder();
    for (String key : new String[] {"content", "summary"}) {
      Object v = item.getValue(key);
      if (v == null) {
        continue;
      }
      if (!(v instanceof JsonArray parts)) {
        throw new RequestValidationException(at + "." + key, at + "." + key + " must be an array of text parts");
      }
      for (int i = 0; i < parts.size(); i++) {
        String p = at + "." + key + "[" + i + "]";
        if (!(parts.getValue(i) instanceof JsonObject part)) {
          throw new RequestValidationException(p, p + " must be an object");
        }
        if ("content".equals(key)) {
          text.append(text(part, "text", p));
        }
      }
    }
    return reasoning(text.toString());
  }

  /** A reasoning item holding {@code text} as its one {@code reasoning_text} part. */
  static JsonObject reasoning(String text) {
    return new JsonObject().put("type", "reasoning").put("summary", new JsonArray())
        .put("content", new JsonArray().add(new JsonObject().put("type", "reasoning_text").put("text", text)));
  }

  private static String output(Object value, String at) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof JsonArray parts) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < parts.size(); i++) {
        if (!(parts.getValue(i) instanceof JsonObject part) || !"input_text".equals(part.getValue("type"))) {
          throw new RequestValidationException(at + "[" + i + "]", at + "[" + i + "] must be an input_text part");
        }
        text.append(text(part, "text", at + "[" + i + "]"));
      }
      return text.toString();
    }
    throw new RequestValidationException(at, at + " must be a string or an array of input_text parts, got "
        + kind(value));
  }

  private static String text(JsonObject o, String key, String at) {
    if (!(o.getValue(key) instanceof String s)) {
      throw new RequestValidationException(at + "." + key, at + "." + key + " must be a string");
    }
    return s;
  }

  /**
   * Appends the conversation {@code items} to {@code messages} as the chat route's messages:
   * consecutive function calls become one assistant turn's {@code tool_calls} (joined to the
   * assistant message right before them), outputs {@code tool} turns. A reasoning item's text
   * becomes the {@code reasoning_content} of the assistant turn after it, which the templates that
   * take earlier reasoning (Qwen3's) render.
   */
  static void toChatMessages(JsonArray items, JsonArray messages) {
    JsonObject lastAssistant = null;
    String reasoning = null;
    for (int i = 0; i < items.size(); i++) {
      JsonObject item = items.getJsonObject(i);
      switch (item.getString("type")) {
        case "message" -> {
          StringBuilder text = new StringBuilder();
          JsonArray parts = item.getJsonArray("content");
          for (int p = 0; p < parts.size(); p++) {
            text.append(parts.getJsonObject(p).getString("text"));
          }
          JsonObject m = new JsonObject().put("role", item.getString("role")).put("content", text.toString());
          messages.add(m);
          lastAssistant = "assistant".equals(item.getString("role")) ? m : null;
          if (lastAssistant != null && reasoning != null) {
            lastAssistant.put("reasoning_content", reasoning);
          }
          reasoning = null;
        }
        case "reasoning" -> {
          StringBuilder text = new StringBuilder();
          JsonArray parts = item.getJsonArray("content");
          for (int p = 0; p < parts.size(); p++) {
            text.append(parts.getJsonObject(p).getString("text"));
          }
          reasoning = text.isEmpty() ? null : text.toString();
          lastAssistant = null;
        }
        case "function_call" -> {
          if (lastAssistant == null) {
            lastAssistant = new JsonObject().put("role", "assistant").put("content", null);
            if (reasoning != null) {
              lastAssistant.put("reasoning_content", reasoning);
              reasoning = null;
            }
            messages.add(lastAssistant);
          }
          JsonArray calls = lastAssistant.getJsonArray("tool_calls");
          if (calls == null) {
            calls = new JsonArray();
            lastAssistant.put("tool_calls", calls);
          }
          calls.add(new JsonObject().put("id", item.getString("call_id")).put("type", "function")
              .put("function", new JsonObject().put("name", item.getString("name"))
                  .put("arguments", item.getString("arguments"))));
        }
        case "function_call_output" -> {
          messages.add(new JsonObject().put("role", "tool").put("tool_call_id", item.getString("call_id"))
              .put("content", item.getString("output")));
          lastAssistant = null;
          reasoning = null;
        }
        default -> throw new IllegalStateException("not a stored item: " + item.getString("type"));
      }
    }
  }
}
