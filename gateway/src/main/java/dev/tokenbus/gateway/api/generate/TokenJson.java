package dev.tokenbus.gateway.api.generate;

import dev.tokenbus.gateway.serve.StreamEvent;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.Timings;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.TopLogprob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The native API's encoding of a {@link StreamEvent}, the same for SSE and WebSocket: an event name
 * ({@code token}, {@code done}, {@code error}), an event id (a token's index) and a JSON payload.
 */
public final class TokenJson {

  private TokenJson() {}

  /** {@code token}, {@code done} or {@code error}. */
  static String name(StreamEvent event) {
    return switch (event) {
      case StreamEvent.Token t -> "token";
      case StreamEvent.Done d -> "done";
      case StreamEvent.Failed f -> "error";
    };
  }

  /** A token's index, else null. */
  static String id(StreamEvent event) {
    return event instanceof StreamEvent.Token t ? Integer.toString(t.token().index()) : null;
  }

  /** The event's payload. */
  static JsonObject payload(StreamEvent event) {
    return switch (event) {
      case StreamEvent.Token t -> token(t.token());
      case StreamEvent.Done d -> done(d.result(), d.gatewayQueueMs());
      case StreamEvent.Failed f -> new JsonObject().put("type", f.type().wireName()).put("message", f.message());
    };
  }

  /**
   * {@code {index, text, token_id, logprob, top_logprobs?, is_final, finish_reason?, reasoning?}}:
   * {@code reasoning: true} on a thinking model's reasoning tokens.
   */
  public static JsonObject token(TokenData t) {
    JsonObject j = new JsonObject().put("index", t.index()).put("text", t.text()).put("token_id", t.tokenId())
        .put("logprob", t.logprob());
    if (!t.topLogprobs().isEmpty()) {
      JsonArray top = new JsonArray();
      for (TopLogprob a : t.topLogprobs()) {
        top.add(new JsonObject().put("token_id", a.tokenId()).put("text", a.text()).put("logprob", a.logprob()));
      }
      j.put("top_logprobs", top);
    }
    j.put("is_final", t.isFinal());
    if (t.finishReason() != null) {
      j.put("finish_reason", t.finishReason().wireName());
    }
    if (t.reasoning()) {
      j.put("reasoning", true);
    }
    return j;
  }

  /**
   * {@code {finish_reason, usage:{prompt_tokens, completion_tokens, total_tokens,
   * prompt_tokens_details:{cached_tokens}}, timings, seed}}.
   *
   * @param gatewayQueueMs how long the request waited at the gateway for a slot; {@code queue_ms}
   *     is that plus the wait inside the worker
   */
  public static JsonObject done(GenerationResult r, double gatewayQueueMs) {
    Timings t = r.timings();
    return new JsonObject()
        .put("finish_reason", r.finishReason().wireName())
        .put("usage", new JsonObject().put("prompt_tokens", r.usage().promptTokens())
            .put("completion_tokens", r.usage().completionTokens()).put("total_tokens", r.usage().totalTokens())
            .put("prompt_tokens_details", new JsonObject().put("cached_tokens", r.usage().cachedTokens())))
        .put("timings", new JsonObject().put("queue_ms", gatewayQueueMs + t.queueMs())
            .put("gateway_queue_ms", gatewayQueueMs).put("prompt_ms", t.promptMs())
            .put("generation_ms", t.generationMs()).put("prompt_per_second", t.promptPerSecond())
            .put("tokens_per_second", t.tokensPerSecond()))
        .put("seed", r.seed());
  }
}
