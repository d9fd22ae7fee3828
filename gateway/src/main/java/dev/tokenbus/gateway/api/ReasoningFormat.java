package dev.tokenbus.gateway.api;

import dev.tokenbus.protocol.RequestValidationException;
import java.util.Locale;

/**
 * How an OpenAI-style answer carries a thinking model's reasoning: in {@code reasoning_content}
 * (llama-server's field, which most clients read), in {@code reasoning} (vLLM's newer one), or not
 * split at all ({@code none}: the raw think block stays in {@code content}). A gateway setting
 * ({@code --reasoning-format}) that a request's {@code reasoning_format} overrides.
 */
public enum ReasoningFormat {
  REASONING_CONTENT("reasoning_content"),
  REASONING("reasoning"),
  NONE(null);

  private final String field;

  ReasoningFormat(String field) {
    this.field = field;
  }

  /** The answer's field for the reasoning text; null for {@link #NONE}. */
  public String field() {
    return field;
  }

  /** Whether the worker splits the thinking from the answer. */
  public boolean separates() {
    return this != NONE;
  }

  /** The name as the setting and the request field take it. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * A format by name: {@code reasoning_content}, {@code reasoning} or {@code none}; llama-server's
   * {@code deepseek} and {@code auto} are read as {@code reasoning_content}, its field for them.
   *
   * @throws RequestValidationException naming {@code param} for anything else
   */
  public static ReasoningFormat parse(String name, String param) {
    return switch (name) {
      case "reasoning_content", "deepseek", "auto" -> REASONING_CONTENT;
      case "reasoning" -> REASONING;
      case "none" -> NONE;
      case null, default -> throw new RequestValidationException(param, param
          + " must be reasoning_content, reasoning or none, got '"
          + (name != null && name.length() > 32 ? name.substring(0, 32) + "…" : name) + "'");
    };
  }
}
