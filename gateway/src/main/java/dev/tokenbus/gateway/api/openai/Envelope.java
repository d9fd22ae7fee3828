package dev.tokenbus.gateway.api.openai;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.Usage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What every chunk and response of one request repeats: {@code id}, {@code object},
 * {@code created} (seconds, taken once) and {@code model}.
 */
record Envelope(String id, long created, String model, AnswerShape shape) {

  static Envelope of(String streamId, String model, AnswerShape shape) {
    return new Envelope(shape.idPrefix() + streamId, System.currentTimeMillis() / 1000, model, shape);
  }

  /** A stream chunk with one choice; {@code usage: null} on every chunk when a usage chunk will follow. */
  JsonObject chunk(JsonObject choice, boolean usageFollows) {
    JsonObject c = head(shape.chunkObject()).put("choices", new JsonArray().add(choice));
    return usageFollows ? c.put("usage", null) : c;
  }

  /** The last chunk of a stream that asked for usage: no choices. */
  JsonObject usageChunk(JsonObject usage) {
    return head(shape.chunkObject()).put("choices", new JsonArray()).put("usage", usage);
  }

  /** A whole (non-streaming) response. */
  JsonObject response(JsonObject choice, JsonObject usage) {
    return head(shape.responseObject()).put("choices", new JsonArray().add(choice)).put("usage", usage);
  }

  private JsonObject head(String object) {
    return new JsonObject().put("id", id).put("object", object).put("created", created).put("model", model);
  }

  /**
   * OpenAI knows {@code stop} and {@code length}; a generation cut by its deadline
   * ({@code timeout}) was cut by a limit, which is what {@code length} says.
   */
  static String finishReason(FinishReason reason) {
    return reason == FinishReason.STOP ? "stop" : "length";
  }

  /** {@code {prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details:{cached_tokens}}}. */
  static JsonObject usage(GenerationResult result) {
    Usage u = result.usage();
    return new JsonObject().put("prompt_tokens", u.promptTokens()).put("completion_tokens", u.completionTokens())
        .put("total_tokens", u.totalTokens())
        .put("prompt_tokens_details", new JsonObject().put("cached_tokens", u.cachedTokens()));
  }
}
