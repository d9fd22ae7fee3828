package dev.tokenbus.protocol;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * One turn of a conversation, as a chat template takes it.
 *
 * @param role {@code system}, {@code user}, {@code assistant} or {@code tool}
 * @param content the turn's text (text parts already joined)
 * @param toolCalls for an assistant turn that called tools, the calls as OpenAI's JSON array
 *     ({@code [{"id","type":"function","function":{"name","arguments"}}]}, {@code arguments} a JSON
 *     string); otherwise null
 * @param toolCallId for a {@code tool} turn (a tool's result), the id of the call it answers; otherwise null
 * @param reasoningContent for an assistant turn, the thinking that came before its answer
 *     ({@code reasoning_content}), which templates that take it render back; otherwise null
 */
public record ChatMessage(String role, String content, String toolCalls, String toolCallId,
    String reasoningContent) {

  public static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

  public ChatMessage {
    if (role == null || !ROLES.contains(role)) {
      throw new RequestValidationException("messages", "role must be system, user, assistant or tool, got " + role);
    }
    if (content == null) {
      throw new RequestValidationException("messages", "a message needs content");
    }
    if (toolCalls != null && !role.equals("assistant")) {
      throw new RequestValidationException("messages", "only assistant messages have tool_calls");
    }
    if (role.equals("tool") != (toolCallId != null)) {
      throw new RequestValidationException("messages", "a tool message, and only a tool message, has a tool_call_id");
    }
    if (reasoningContent != null && !role.equals("assistant")) {
      throw new RequestValidationException("messages", "only assistant messages have reasoning_content");
    }
  }

  /** A turn without reasoning. */
  public ChatMessage(String role, String content, String toolCalls, String toolCallId) {
    this(role, content, toolCalls, toolCallId, null);
  }

  /** A plain turn. */
  public ChatMessage(String role, String content) {
    this(role, content, null, null, null);
  }

  /** {@code {"role","content","tool_calls","tool_call_id","reasoning_content"}}, as it travels in JSON between nodes. */
  public JsonObject toJson() {
    return new JsonObject().put("role", role).put("content", content).put("tool_calls", toolCalls)
        .put("tool_call_id", toolCallId).put("reasoning_content", reasoningContent);
  }

  /** A turn from {@link #toJson()}'s form; a malformed one is a {@link RequestValidationException}. */
  public static ChatMessage fromJson(JsonObject o) {
    if (!(o.getValue("role") instanceof String role) || !(o.getValue("content") instanceof String content)
        || !(o.getValue("tool_calls") == null || o.getValue("tool_calls") instanceof String)
        || !(o.getValue("tool_call_id") == null || o.getValue("tool_call_id") instanceof String)
        || !(o.getValue("reasoning_content") == null || o.getValue("reasoning_content") instanceof String)) {
      throw new RequestValidationException("messages", "a message needs a string role and content");
    }
    return new ChatMessage(role, content, o.getString("tool_calls"), o.getString("tool_call_id"),
        o.getString("reasoning_content"));
  }
}
