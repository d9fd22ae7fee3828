package dev.tokenbus.protocol;

import java.util.Set;

/**
 * One turn of a conversation, as a chat template takes it.
 *
 * @param role {@code system}, {@code user} or {@code assistant}
 * @param content the turn's text (text parts already joined)
 */
public record ChatMessage(String role, String content) {

  public static final Set<String> ROLES = Set.of("system", "user", "assistant");

  public ChatMessage {
    if (role == null || !ROLES.contains(role)) {
      throw new RequestValidationException("messages", "role must be system, user or assistant, got " + role);
    }
    if (content == null) {
      throw new RequestValidationException("messages", "a message needs content");
    }
  }
}
