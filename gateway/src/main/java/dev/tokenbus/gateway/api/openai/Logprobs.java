package dev.tokenbus.gateway.api.openai;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/** OpenAI's log-probability shapes, from a native token event. */
final class Logprobs {

  private Logprobs() {}

  /**
   * Whether a token is reported at all: not the frame of a generation that ended between tokens,
   * and not an end-of-generation token or completed stop sequence, whose text is never shown
   * (OpenAI reports neither).
   */
  static boolean reported(JsonObject token) {
    if (token.getInteger("token_id", -1) < 0) {
      return false;
    }
    return !("stop".equals(token.getString("finish_reason")) && token.getString("text", "").isEmpty());
  }

  /** Chat: {@code {token, logprob, bytes, top_logprobs:[{token, logprob, bytes}]}}. */
  static JsonObject chatEntry(JsonObject token) {
    JsonArray top = new JsonArray();
    JsonArray alternatives = token.getJsonArray("top_logprobs");
    if (alternatives != null) {
      for (int i = 0; i < alternatives.size(); i++) {
        JsonObject a = alternatives.getJsonObject(i);
        top.add(new JsonObject().put("token", a.getString("text")).put("logprob", a.getDouble("logprob"))
            .put("bytes", bytes(a.getString("text"))));
      }
    }
    return new JsonObject().put("token", token.getString("text")).put("logprob", token.getDouble("logprob"))
        .put("bytes", bytes(token.getString("text"))).put("top_logprobs", top);
  }

  /** The UTF-8 bytes of a token's text, as OpenAI's integer list. */
  static JsonArray bytes(String text) {
    JsonArray out = new JsonArray();
    for (byte b : (text == null ? "" : text).getBytes(StandardCharsets.UTF_8)) {
      out.add(b & 0xFF);
    }
    return out;
  }

  /**
   * Completions: parallel lists {@code tokens}, {@code token_logprobs}, {@code top_logprobs}
   * (one {@code {token: logprob}} object per token) and {@code text_offset} (where each token's
   * text starts in the completion).
   */
  static final class Completion {
    private final JsonArray tokens = new JsonArray();
    private final JsonArray tokenLogprobs = new JsonArray();
    private final JsonArray topLogprobs = new JsonArray();
    private final JsonArray textOffset = new JsonArray();

    void add(JsonObject token, int offset) {
      tokens.add(token.getString("text"));
      tokenLogprobs.add(token.getDouble("logprob"));
      JsonObject top = new JsonObject();
      JsonArray alternatives = token.getJsonArray("top_logprobs");
      if (alternatives != null) {
        for (int i = 0; i < alternatives.size(); i++) {
          JsonObject a = alternatives.getJsonObject(i);
          // Alternatives come best first: of two tokens with one text, the likelier stays.
          if (!top.containsKey(a.getString("text"))) {
            top.put(a.getString("text"), a.getDouble("logprob"));
          }
        }
      }
      topLogprobs.add(top);
      textOffset.add(offset);
    }

    JsonObject toJson() {
      return new JsonObject().put("tokens", tokens).put("token_logprobs", tokenLogprobs)
          .put("top_logprobs", topLogprobs).put("text_offset", textOffset);
    }
  }
}
