package dev.tokenbus.gateway.api;

import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code messages} array as OpenAI's chat API sends it: roles {@code system} (or
 * {@code developer}, its newer name), {@code user}, {@code assistant} (with {@code tool_calls} when
 * it called tools) and {@code tool} (a result, with {@code tool_call_id}); content a string or an
 * array of {@code {"type":"text","text":...}} parts, joined. Tool turns travel as they are (the
 * calls as OpenAI's JSON, {@code arguments} a JSON string); the worker's chat template renders
 * them, or writes them as text where it cannot ({@link dev.tokenbus.toolcall.ToolCallSyntax#inline}). An
 * assistant turn's earlier thinking ({@code reasoning_content}, or vLLM's {@code reasoning}) is kept
 * for templates that render it. Other
 * roles and part types (images) are refused, naming the offending message.
 */
public final class ChatMessages {

  /** Most messages one request may carry. */
  public static final int MAX_MESSAGES = 1024;

  private ChatMessages() {}

  public static List<ChatMessage> parse(Object value) {
    if (!(value instanceof JsonArray array)) {
      throw new RequestValidationException("messages", "messages must be an array, got "
          + Fields.kind(value));
    }
    if (array.isEmpty()) {
      throw new RequestValidationException("messages", "messages must not be empty");
    }
    if (array.size() > MAX_MESSAGES) {
      throw new RequestValidationException("messages", "at most " + MAX_MESSAGES + " messages");
    }
    List<ChatMessage> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      out.add(message(array.getValue(i), "messages[" + i + "]"));
    }
    return out;
  }

  private static ChatMessage message(Object value, String where) {
    if (!(value instanceof JsonObject m)) {
      throw new RequestValidationException(where, where + " must be an object, got " + Fields.kind(value));
    }
    Object role = m.getValue("role");
    if (!(role instanceof String r)) {
      throw new RequestValidationException(where + ".role", where + ".role must be a string, got "
          + Fields.kind(role));
    }
    String mapped = "developer".equals(r) ? "system" : r;
    if ("tool".equals(r)) {
      if (!(m.getValue("tool_call_id") instanceof String id)) {
        throw new RequestValidationException(where + ".tool_call_id", where + ".tool_call_id must be a string");
      }
      return new ChatMessage("tool", content(m.getValue("content"), "tool", where + ".content"), null, id);
    }
    if (!ChatMessage.ROLES.contains(mapped) || "tool".equals(mapped)) {
      throw new RequestValidationException(where + ".role", where + ".role must be system, developer, user,"
          + " assistant or tool, got '" + r + "'");
    }
    if (m.getValue("function_call") != null) {
      throw new RequestValidationException(where + ".function_call", "function_call is the deprecated form: use tool_calls");
    }
    Object calls = m.getValue("tool_calls");
    if (calls != null && !"assistant".equals(mapped)) {
      throw new RequestValidationException(where + ".tool_calls", "only assistant messages have tool_calls");
    }
    String reasoning = reasoning(m, mapped, where);
    return new ChatMessage(mapped, content(m.getValue("content"), mapped, where + ".content"),
        calls == null ? null : toolCalls(calls, where + ".tool_calls").encode(), null, reasoning);
  }

  /** An assistant turn's {@code reasoning_content} (or {@code reasoning}), or null; other roles have none. */
  private static String reasoning(JsonObject m, String role, String where) {
    for (String key : new String[] {"reasoning_content", "reasoning"}) {
      Object v = m.getValue(key);
      if (v == null) {
        continue;
      }
      if (!(v instanceof String s)) {
        throw new RequestValidationException(where + "." + key, where + "." + key + " must be a string, got "
            + Fields.kind(v));
      }
      if (!"assistant".equals(role)) {
        throw new RequestValidationException(where + "." + key, "only assistant messages have " + key);
      }
      return s;
    }
    return null;
  }

  /** The calls in OpenAI's shape, {@code arguments} always a JSON string. */
  private static JsonArray toolCalls(Object value, String where) {
    if (!(value instanceof JsonArray calls)) {
      throw new RequestValidationException(where, where + " must be an array");
    }
    JsonArray out = new JsonArray();
    for (int i = 0; i < calls.size(); i++) {
      String at = where + "[" + i + "]";
      if (!(calls.getValue(i) instanceof JsonObject c) || !(c.getValue("function") instanceof JsonObject f)
          || !(f.getValue("name") instanceof String)) {
        throw new RequestValidationException(at, at + " must be {\"id\":...,\"type\":\"function\",\"function\":"
            + "{\"name\":...,\"arguments\":...}}");
      }
      Object args = f.getValue("arguments");
      if (args != null && !(args instanceof String) && !(args instanceof JsonObject)) {
        throw new RequestValidationException(at + ".function.arguments", at + ".function.arguments must be a JSON string");
      }
      String id = c.getValue("id") instanceof String s ? s : "call_" + i;
      out.add(new JsonObject().put("id", id).put("type", "function").put("function", new JsonObject()
          .put("name", f.getString("name"))
          .put("arguments", args instanceof JsonObject o ? o.encode() : args == null ? "{}" : (String) args)));
    }
    return out;
  }

  private static String content(Object value, String role, String where) {
    return switch (value) {
      case String s -> s;
      case null -> {
        if (!"assistant".equals(role)) {
          throw new RequestValidationException(where, where + " is required");
        }
        yield ""; // an assistant turn may have no content
      }
      case JsonArray parts -> {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
          String at = where + "[" + i + "]";
          if (!(parts.getValue(i) instanceof JsonObject part) || !"text".equals(part.getValue("type"))) {
            throw new RequestValidationException(at, at + " must be a {\"type\":\"text\"} part; only text is supported");
          }
          if (!(part.getValue("text") instanceof String t)) {
            throw new RequestValidationException(at + ".text", at + ".text must be a string");
          }
          text.append(t);
        }
        yield text.toString();
      }
      default -> throw new RequestValidationException(where, where + " must be a string or an array of text parts, got "
          + Fields.kind(value));
    };
  }
}
