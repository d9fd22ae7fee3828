package dev.tokenbus.gateway.api.openai;

import dev.tokenbus.protocol.TokenData;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** {@code /v1/chat/completions}: {@code delta} chunks, a first chunk with the role, {@code message} when whole. */
final class ChatFormat implements AnswerShape {

  private final boolean logprobs;

  ChatFormat(boolean logprobs) {
    this.logprobs = logprobs;
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
    // The last chunk of a stream that ends on a hidden token (end of generation) carries no content.
    JsonObject delta = finishReason != null && text.isEmpty() ? new JsonObject()
        : new JsonObject().put("content", text);
    JsonObject lp = null;
    if (logprobs) {
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
    JsonArray content = new JsonArray();
    return new Collector() {
      @Override
      public void add(TokenData token) {
        text.append(token.text());
        if (logprobs && Logprobs.reported(token)) {
          content.add(Logprobs.chatEntry(token));
        }
      }

      @Override
      public JsonObject choice(String finishReason) {
        return new JsonObject().put("index", 0)
            .put("message", new JsonObject().put("role", "assistant").put("content", text.toString()))
            .put("logprobs", logprobs ? new JsonObject().put("content", content) : null)
            .put("finish_reason", finishReason);
      }
    };
  }
}
