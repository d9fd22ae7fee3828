package dev.tokenbus.gateway.api.openai;

import dev.tokenbus.protocol.TokenData;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@code /v1/chat/completions}: {@code delta} chunks, a first chunk with the role, {@code message} when whole.
 * A thinking model's reasoning ({@link TokenData#reasoning}) goes in its own field
 * ({@code reasoning_content} or {@code reasoning}), streamed before the answer's {@code content};
 * logprobs cover the answer.
 */
final class ChatFormat implements AnswerShape {

  private final boolean logprobs;
  private final String reasoningField;

  /** @param reasoningField the field for reasoning text, or null where it is not split */
  ChatFormat(boolean logprobs, String reasoningField) {
    this.logprobs = logprobs;
    this.reasoningField = reasoningField;
  }

  /** Whether {@code token}'s text goes to the reasoning field. */
  boolean isReasoning(TokenData token) {
    return token.reasoning() && reasoningField != null;
  }

  /** The field reasoning text goes in. */
  String reasoningField() {
    return reasoningField;
  }

  @Override
  public String chunkObject() {
    return "chat.completion.chunk";
  }

  @Override
  public String responseObject() {
    return "chat.completion";
  }

  @Override
  public String idPrefix() {
    return "chatcmpl-";
  }

  @Override
  public JsonObject openingChoice() {
    return choice(new JsonObject().put("role", "assistant").put("content", ""), null, null);
  }

  @Override
  public JsonObject tokenChoice(TokenData token, String finishReason) {
    String text = token.text();
    // The last chunk of a stream that ends on a hidden token (end of generation) carries no content,
    // nor does a hidden token of the thinking (its markers).
    JsonObject delta = text.isEmpty() && (finishReason != null || token.reasoning()) ? new JsonObject()
        : new JsonObject().put(isReasoning(token) ? reasoningField : "content", text);
    JsonObject lp = null;
    if (logprobs && isReasoning(token)) {
      lp = new JsonObject().put("content", new JsonArray());
    } else if (logprobs) {
      JsonArray content = new JsonArray();
      if (Logprobs.reported(token)) {
        content.add(Logprobs.chatEntry(token));
      }
      lp = new JsonObject().put("content", content);
    }
    return choice(delta, lp, finishReason);
  }

  @Override
  public JsonObject finishChoice(String finishReason) {
    return choice(new JsonObject(), null, finishReason);
  }

  private static JsonObject choice(JsonObject delta, JsonObject logprobs, String finishReason) {
    return new JsonObject().put("index", 0).put("delta", delta).put("logprobs", logprobs)
        .put("finish_reason", finishReason);
  }

  @Override
  public Collector collector() {
    StringBuilder text = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    JsonArray content = new JsonArray();
    return new Collector() {
      @Override
      public void add(TokenData token) {
        if (isReasoning(token)) {
          reasoning.append(token.text());
          return;
        }
        text.append(token.text());
        if (logprobs && Logprobs.reported(token)) {
          content.add(Logprobs.chatEntry(token));
        }
      }

      @Override
      public JsonObject choice(String finishReason) {
        JsonObject message = new JsonObject().put("role", "assistant").put("content", text.toString());
        if (!reasoning.isEmpty()) {
          message.put(reasoningField, reasoning.toString());
        }
        return new JsonObject().put("index", 0)
            .put("message", message)
            .put("logprobs", logprobs ? new JsonObject().put("content", content) : null)
            .put("finish_reason", finishReason);
      }
    };
  }
}
