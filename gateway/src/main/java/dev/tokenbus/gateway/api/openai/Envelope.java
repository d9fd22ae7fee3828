package dev.tokenbus.gateway.api.openai;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What every chunk and response of one request repeats: {@code id}, {@code object},
 * {@code created} (seconds, taken once) and {@code model}.
 */
record Envelope(String id, long created, String model, AnswerShape format) {

  static Envelope of(String streamId, String model, AnswerShape format) {
    return new Envelope(format.idPrefix() + streamId, System.currentTimeMillis() / 1000, model, format);
  }

  /** A stream chunk with one choice; {@code usage: null} on every chunk when a usage chunk will follow. */
  JsonObject chunk(JsonObject choice, boolean usageFollows) {
    JsonObject c = head(format.chunkObject()).put("choices", new JsonArray().add(choice));
    return usageFollows ? c.put("usage", null) : c;
  }

  /** The last chunk of a stream that asked for usage: no choices. */
  JsonObject usageChunk(JsonObject usage) {
    return head(format.chunkObject()).put("choices", new JsonArray()).put("usage", usage);
  }

  /** A whole (non-streaming) response. */
  JsonObject response(JsonObject choice, JsonObject usage) {
    return head(format.responseObject()).put("choices", new JsonArray().add(choice)).put("usage", usage);
  }

  private JsonObject head(String object) {
    return new JsonObject().put("id", id).put("object", object).put("created", created).put("model", model);
  }

  /**
   * OpenAI knows {@code stop} and {@code length}; a generation cut by its deadline
   * ({@code timeout}) was cut by a limit, which is what {@code length} says.
   */
  static String finishReason(String native_) {
    return "stop".equals(native_) ? "stop" : "length";
  }

  /** {@code {prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details:{cached_tokens}}} from a done event. */
  static JsonObject usage(JsonObject done) {
    JsonObject u = done.getJsonObject("usage", new JsonObject());
    return new JsonObject().put("prompt_tokens", u.getInteger("prompt_tokens", 0))
        .put("completion_tokens", u.getInteger("completion_tokens", 0))
        .put("total_tokens", u.getInteger("total_tokens", 0))
        .put("prompt_tokens_details", new JsonObject().put("cached_tokens",
            u.getJsonObject("prompt_tokens_details", new JsonObject()).getInteger("cached_tokens", 0)));
  }
}
