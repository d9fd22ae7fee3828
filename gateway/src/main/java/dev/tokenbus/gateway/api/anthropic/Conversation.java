package dev.tokenbus.gateway.api.anthropic;

import static dev.tokenbus.gateway.json.Fields.kind;

import dev.tokenbus.gateway.api.ChatMessages;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A Messages request's conversation, read strictly into the turns the chat templates take.
 * {@code system} is a string or text blocks; a message's {@code content} is a string or blocks:
 * {@code text}; on user turns {@code tool_result} (its {@code content} a string or text blocks,
 * {@code is_error}), which becomes a {@code tool} turn answering the call; on assistant turns
 * {@code tool_use} (a call, {@code input} an object), carried as the turn's calls, and
 * {@code thinking} (given to the chat template as the turn's {@code reasoning_content}, which
 * Qwen3's renders) and {@code redacted_thinking} (left out: it cannot be read).
 * {@code image} and {@code document} blocks are refused: the models served read text only.
 */
final class Conversation {

  /** Anthropic's tool-call ids; the conversation carries the id without it (some templates insist on their shape). */
  static final String TOOL_ID_PREFIX = "toolu_";

  private Conversation() {}

  /** The turns, each user or assistant, at most {@link ChatMessages#MAX_MESSAGES}. */
  static List<ChatMessage> read(Object value) {
    if (value == null) {
      throw new RequestValidationException("messages", "messages is required");
    }
    if (!(value instanceof JsonArray array)) {
      throw new RequestValidationException("messages", "messages must be an array, got " + kind(value));
    }
    if (array.isEmpty()) {
      throw new RequestValidationException("messages", "messages must not be empty");
    }
    if (array.size() > ChatMessages.MAX_MESSAGES) {
      throw new RequestValidationException("messages", "at most " + ChatMessages.MAX_MESSAGES + " messages");
    }
    List<ChatMessage> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String where = "messages[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject m)) {
        throw new RequestValidationException(where, where + " must be an object, got " + kind(array.getValue(i)));
      }
      Object role = m.getValue("role");
      if ("user".equals(role)) {
        user(m.getValue("content"), where + ".content", out);
      } else if ("assistant".equals(role)) {
        out.add(assistant(m.getValue("content"), where + ".content"));
      } else {
        throw new RequestValidationException(where + ".role", where + ".role must be user or assistant, got "
            + (role instanceof String r ? "'" + r + "'" : kind(role)));
      }
    }
    return out;
  }

  /**
   * A user turn: its text, and a {@code tool} turn for each {@code tool_result}, in their order
   * (text between results becomes a user turn there).
   */
  private static void user(Object content, String where, List<ChatMessage> out) {
    if (content instanceof String s) {
      out.add(new ChatMessage("user", s));
      return;
    }
    JsonArray blocks = blocks(content, where);
    StringBuilder text = new StringBuilder();
    boolean any = false;
    for (int i = 0; i < blocks.size(); i++) {
      String at = where + "[" + i + "]";
      JsonObject block = block(blocks.getValue(i), at);
      switch ((String) block.getValue("type")) {
        case "text" -> {
          text.append(blockText(block, at));
          any = true;
        }
        case "tool_result" -> {
          if (any) {
            out.add(new ChatMessage("user", text.toString()));
            text.setLength(0);
            any = false;
          }
          out.add(toolResult(block, at));
        }
        default -> throw unsupported(block, at, "text or tool_result");
      }
    }
    if (any) {
      out.add(new ChatMessage("user", text.toString()));
    }
  }

  private static ChatMessage toolResult(JsonObject block, String at) {
    if (!(block.getValue("tool_use_id") instanceof String id) || id.isEmpty()) {
      throw new RequestValidationException(at + ".tool_use_id", at + ".tool_use_id must be the id of the tool_use"
          + " it answers");
    }
    Object content = block.getValue("content");
    String result = content == null ? "" : text(content, at + ".content");
    Object isError = block.getValue("is_error");
    if (isError != null && !(isError instanceof Boolean)) {
      throw new RequestValidationException(at + ".is_error", at + ".is_error must be a boolean, got " + kind(isError));
    }
    // Chat templates have no place for a failed call: the result says so in its text.
    String text = Boolean.TRUE.equals(isError) ? "Error: " + result : result;
    return new ChatMessage("tool", text, null, callId(id));
  }

  /** An assistant turn: its text, and its {@code tool_use} blocks as the calls it made. */
  private static ChatMessage assistant(Object content, String where) {
    if (content instanceof String s) {
      return new ChatMessage("assistant", s);
    }
    JsonArray blocks = blocks(content, where);
    StringBuilder text = new StringBuilder();
    StringBuilder thinking = new StringBuilder();
    JsonArray calls = new JsonArray();
    for (int i = 0; i < blocks.size(); i++) {
      String at = where + "[" + i + "]";
      JsonObject block = block(blocks.getValue(i), at);
      switch ((String) block.getValue("type")) {
        case "text" -> text.append(blockText(block, at));
        case "tool_use" -> calls.add(toolUse(block, at));
        case "thinking" -> {
          if (!(block.getValue("thinking") instanceof String t)) {
            throw new RequestValidationException(at + ".thinking", at + ".thinking must be a string");
          }
          thinking.append(t);
        }
        case "redacted_thinking" -> {
          // Encrypted by another server: nothing here can read it.
        }
        default -> throw unsupported(block, at, "text, tool_use, thinking or redacted_thinking");
      }
    }
    return new ChatMessage("assistant", text.toString(), calls.isEmpty() ? null : calls.encode(), null,
        thinking.isEmpty() ? null : thinking.toString());
  }

  /** A {@code tool_use} block as the OpenAI-shaped call the chat templates take. */
  private static JsonObject toolUse(JsonObject block, String at) {
    if (!(block.getValue("id") instanceof String id) || id.isEmpty()) {
      throw new RequestValidationException(at + ".id", at + ".id must be a non-empty string");
    }
    if (!(block.getValue("name") instanceof String name) || name.isEmpty()) {
      throw new RequestValidationException(at + ".name", at + ".name must be a non-empty string");
    }
    Object input = block.getValue("input");
    if (!(input instanceof JsonObject args)) {
      throw new RequestValidationException(at + ".input", at + ".input must be an object, got " + kind(input));
    }
    return new JsonObject().put("id", callId(id)).put("type", "function")
        .put("function", new JsonObject().put("name", name).put("arguments", args.encode()));
  }

  /** A call id as the conversation carries it: without Anthropic's prefix, which this gateway adds. */
  private static String callId(String id) {
    return id.startsWith(TOOL_ID_PREFIX) && id.length() > TOOL_ID_PREFIX.length()
        ? id.substring(TOOL_ID_PREFIX.length()) : id;
  }

  /** {@code system} or a tool result's {@code content}: a string, or text blocks joined. */
  static String text(Object value, String where) {
    if (value instanceof String s) {
      return s;
    }
    if (!(value instanceof JsonArray)) {
      throw new RequestValidationException(where, where + " must be a string or an array of text blocks, got "
          + kind(value));
    }
    JsonArray blocks = (JsonArray) value;
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < blocks.size(); i++) {
      String at = where + "[" + i + "]";
      JsonObject block = block(blocks.getValue(i), at);
      if (!"text".equals(block.getValue("type"))) {
        throw unsupported(block, at, "text");
      }
      text.append(blockText(block, at));
    }
    return text.toString();
  }

  private static JsonArray blocks(Object content, String where) {
    if (content == null) {
      throw new RequestValidationException(where, where + " is required");
    }
    if (!(content instanceof JsonArray blocks)) {
      throw new RequestValidationException(where, where + " must be a string or an array of content blocks, got "
          + kind(content));
    }
    if (blocks.isEmpty()) {
      throw new RequestValidationException(where, where + " must not be empty");
    }
    return blocks;
  }

  /** A content block: an object with a string {@code type}. */
  private static JsonObject block(Object value, String at) {
    if (!(value instanceof JsonObject block)) {
      throw new RequestValidationException(at, at + " must be a content block object, got " + kind(value));
    }
    if (!(block.getValue("type") instanceof String)) {
      throw new RequestValidationException(at + ".type", at + ".type must be a string, got "
          + kind(block.getValue("type")));
    }
    return block;
  }

  private static String blockText(JsonObject block, String at) {
    if (!(block.getValue("text") instanceof String t)) {
      throw new RequestValidationException(at + ".text", at + ".text must be a string, got "
          + kind(block.getValue("text")));
    }
    return t;
  }

  private static RequestValidationException unsupported(JsonObject block, String at, String allowed) {
    String type = (String) block.getValue("type");
    if ("image".equals(type) || "document".equals(type)) {
      return new RequestValidationException(at + ".type", at + " is " + ("image".equals(type) ? "an image" : "a document")
          + ": the models served here read text only; send text blocks");
    }
    return new RequestValidationException(at + ".type", at + ".type must be " + allowed + " here, got '" + type + "'");
  }
}
