package dev.tokenbus.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's JSON: a request's fields, and the {@code token} and {@code done} payloads (the same over SSE
 * and WebSocket).
 */
final class Wire {

  private Wire() {}

  /** The fields of {@code POST /v1/generate} (and of a WebSocket {@code generate} frame). */
  static JsonObject request(String prompt, List<ChatMessage> messages, StreamConfig c) {
    JsonObject j = new JsonObject();
    if (messages != null) {
      JsonArray m = new JsonArray();
      messages.forEach(x -> m.add(new JsonObject().put("role", x.role()).put("content", x.content())));
      j.put("messages", m);
    } else {
      j.put("prompt", prompt);
    }
    j.put("stream", true).put("max_tokens", c.maxTokens()).put("temperature", c.temperature()).put("top_k", c.topK())
        .put("top_p", c.topP()).put("min_p", c.minP()).put("repeat_penalty", c.repeatPenalty())
        .put("repeat_last_n", c.repeatLastN()).put("frequency_penalty", c.frequencyPenalty()).put("presence_penalty", c.presencePenalty())
        .put("stream_delay_ms", c.streamDelayMs()).put("buffer_size", c.bufferSize()).put("timeout_ms", c.timeoutMs())
        .put("top_logprobs", c.topLogprobs()).put("cache_prompt", c.cachePrompt())
        .put("reasoning_budget", c.reasoningBudget());
    if (c.reasoningFormat() != null) {
      j.put("reasoning_format", c.reasoningFormat());
    }
    if (c.seed() != null) {
      j.put("seed", c.seed());
    }
    if (!c.stopSequences().isEmpty()) {
      j.put("stop", new JsonArray(new ArrayList<>(c.stopSequences())));
    }
    if (c.grammar() != null) {
      j.put("grammar", c.grammar());
    }
    if (c.jsonSchema() != null) {
      j.put("json_schema", c.jsonSchema());
    }
    if (!c.logitBias().isEmpty()) {
      JsonObject bias = new JsonObject();
      c.logitBias().forEach((token, value) -> bias.put(Integer.toString(token), value));
      j.put("logit_bias", bias);
    }
    if (c.model() != null) {
      j.put("model", c.model());
    }
    return j;
  }

  /**
   * The request field a {@link StreamConfig} component is sent as: its name in snake case
   * ({@code maxTokens} is {@code max_tokens}), but {@code stopSequences} is {@code stop}.
   */
  static String name(String component) {
    if ("stopSequences".equals(component)) {
      return "stop";
    }
    StringBuilder b = new StringBuilder();
    for (char ch : component.toCharArray()) {
      if (Character.isUpperCase(ch)) {
        b.append('_').append(Character.toLowerCase(ch));
      } else {
        b.append(ch);
      }
    }
    return b.toString();
  }

  /** A {@code token} payload; a {@link ProtocolException} when it is not one. */
  static TokenData token(JsonObject j) {
    try {
      List<TopLogprob> top = new ArrayList<>();
      JsonArray a = j.getJsonArray("top_logprobs");
      if (a != null) {
        for (int i = 0; i < a.size(); i++) {
          JsonObject t = a.getJsonObject(i);
          top.add(new TopLogprob(t.getInteger("token_id", -1), t.getString("text", ""), t.getDouble("logprob", 0.0)));
        }
      }
      boolean isFinal = j.getBoolean("is_final", false);
      String reason = j.getString("finish_reason");
      FinishReason finish = reason == null ? null : FinishReason.fromWireName(reason);
      if (isFinal && finish == null) {
        throw new IllegalArgumentException("a final token without a known finish_reason: " + reason);
      }
      return new TokenData(required(j, "index"), j.getString("text", ""), j.getInteger("token_id", -1),
          j.getDouble("logprob", 0.0), top, isFinal, isFinal ? finish : null, j.getBoolean("reasoning", false));
    } catch (RuntimeException e) {
      throw Errors.protocol("a token event this client cannot read: " + e.getMessage(), e);
    }
  }

  /** A {@code done} payload. */
  static StreamSummary done(JsonObject j) {
    try {
      JsonObject usage = j.getJsonObject("usage", new JsonObject());
      return new StreamSummary(FinishReason.fromWireName(j.getString("finish_reason", "")),
          usage.getInteger("prompt_tokens", -1), usage.getInteger("completion_tokens", -1), j.getLong("seed", -1L));
    } catch (RuntimeException e) {
      throw Errors.protocol("a done event this client cannot read: " + e.getMessage(), e);
    }
  }

  private static int required(JsonObject j, String key) {
    Integer v = j.getInteger(key);
    if (v == null) {
      throw new IllegalArgumentException("no " + key);
    }
    return v;
  }
}
