package dev.tokenbus.gateway.api.openai;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.TopLogprob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/** OpenAI's log-probability shapes, from a generated token. */
final class Logprobs {

  private Logprobs() {}

  /**
   * Whether a token is reported at all: not the frame of a generation that ended between tokens,
   * and not an end-of-generation token or completed stop sequence, whose text is never shown
   * (OpenAI reports neither).
   */
  static boolean reported(TokenData token) {
    if (token.tokenId() < 0) {
      return false;
    }
    return !(token.finishReason() == FinishReason.STOP && token.text().isEmpty());
  }

  /** Chat: {@code {token, logprob, bytes, top_logprobs:[{token, logprob, bytes}]}}. */
  static JsonObject chatEntry(TokenData token) {
    JsonArray top = new JsonArray();
    for (TopLogprob a : token.topLogprobs()) {
      top.add(new JsonObject().put("token", a.text()).put("logprob", a.logprob()).put("bytes", bytes(a.text())));
    }
    return new JsonObject().put("token", token.text()).put("logprob", token.logprob())
        .put("bytes", bytes(token.text())).put("top_logprobs", top);
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

    void add(TokenData token, int offset) {
      tokens.add(token.text());
      tokenLogprobs.add(token.logprob());
      JsonObject top = new JsonObject();
      for (TopLogprob a : token.topLogprobs()) {
        // Alternatives come best first: of two tokens with one text, the likelier stays.
        if (!top.containsKey(a.text())) {
          top.put(a.text(), a.logprob());
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
