package dev.tokenbus.gateway.api.openai;

import dev.tokenbus.protocol.TokenData;
import io.vertx.core.json.JsonObject;

/**
 * {@code /v1/completions}: {@code text} chunks (no role), logprobs as parallel lists whose
 * {@code text_offset} counts characters from the start of the completion. A thinking model's
 * reasoning goes in the choice's reasoning field ({@code reasoning_content} or {@code reasoning}),
 * as on the chat route, and {@code text} is the answer.
 */
final class TextFormat implements AnswerShape {

  private final boolean logprobs;
  private final String reasoningField;
  /** Characters streamed so far, for {@code text_offset}. */
  private int offset;

  /** @param reasoningField the field for reasoning text, or null where it is not split */
  TextFormat(boolean logprobs, String reasoningField) {
    this.logprobs = logprobs;
    this.reasoningField = reasoningField;
  }

  private boolean isReasoning(TokenData token) {
    return token.reasoning() && reasoningField != null;
  }

  @Override
  public String chunkObject() {
    return "text_completion";
  }

  @Override
  public String responseObject() {
    return "text_completion";
  }

  @Override
  public String idPrefix() {
    return "cmpl-";
  }

  @Override
  public JsonObject openingChoice() {
    return null;
  }

  @Override
  public JsonObject tokenChoice(TokenData token, String finishReason) {
    if (isReasoning(token)) {
      return choice("", logprobs ? new Logprobs.Completion().toJson() : null, finishReason)
          .put(reasoningField, token.text());
    }
    String text = token.text();
    JsonObject lp = null;
    if (logprobs) {
      Logprobs.Completion one = new Logprobs.Completion();
      if (Logprobs.reported(token)) {
        one.add(token, offset);
      }
      lp = one.toJson();
    }
    offset += text.length();
    return choice(text, lp, finishReason);
  }

  @Override
  public JsonObject finishChoice(String finishReason) {
    return choice("", null, finishReason);
  }

  private static JsonObject choice(String text, JsonObject logprobs, String finishReason) {
    return new JsonObject().put("index", 0).put("text", text).put("logprobs", logprobs)
        .put("finish_reason", finishReason);
  }

  @Override
  public Collector collector() {
    StringBuilder text = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    Logprobs.Completion lp = new Logprobs.Completion();
    return new Collector() {
      @Override
      public void add(TokenData token) {
        if (isReasoning(token)) {
          reasoning.append(token.text());
          return;
        }
        if (logprobs && Logprobs.reported(token)) {
          lp.add(token, text.length());
        }
        text.append(token.text());
      }

      @Override
      public JsonObject choice(String finishReason) {
        JsonObject choice = TextFormat.choice(text.toString(), logprobs ? lp.toJson() : null, finishReason);
        return reasoning.isEmpty() ? choice : choice.put(reasoningField, reasoning.toString());
      }
    };
  }
}
