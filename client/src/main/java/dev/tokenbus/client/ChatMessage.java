package dev.tokenbus.client;

import java.util.Objects;

/**
 * One message of a chat, which the worker renders with its model's chat template.
 *
 * @param role {@code system} (or {@code developer}), {@code user} or {@code assistant}
 * @param content the message's text
 */
public record ChatMessage(String role, String content) {

  /** Neither part may be null. */
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  /** A system message. */
  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  /** A user message. */
  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  /** An assistant message (an earlier answer). */
  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }
}
