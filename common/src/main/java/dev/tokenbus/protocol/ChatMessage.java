package dev.tokenbus.protocol;

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
}
