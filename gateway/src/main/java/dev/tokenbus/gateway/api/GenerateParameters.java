package dev.tokenbus.gateway.api;

import static dev.tokenbus.gateway.json.Fields.bool;
import static dev.tokenbus.gateway.json.Fields.integer;
import static dev.tokenbus.gateway.json.Fields.kind;
import static dev.tokenbus.gateway.json.Fields.longInteger;
import static dev.tokenbus.gateway.json.Fields.number;
import static dev.tokenbus.gateway.json.Fields.string;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a generation request's JSON into a {@link StreamConfig} and friends, strictly: a known
 * field of the wrong type is an error naming it; unknown fields are ignored (as OpenAI does).
 * Ranges are checked by {@link StreamConfig#validate()}. Shared by every route that generates.
 */
public final class GenerateParameters {

  private GenerateParameters() {}

  /**
   * The body of {@code POST /v1/generate} (and of a WebSocket {@code generate} frame): a prompt,
   * or chat messages that the worker renders with its model's template.
   */
  public record Generate(String prompt, List<ChatMessage> messages, StreamConfig config, boolean stream,
      String model) {

    /** The request to send to a worker. */
    public GenerationRequest toRequest(String id) {
      return messages.isEmpty() ? new GenerationRequest(id, prompt, config)
          : GenerationRequest.chat(id, messages, config);
    }
  }

  public static Generate parse(JsonObject body) {
    Object messages = body.getValue("messages");
    if (messages != null) {
      if (body.getValue("prompt") != null) {
        throw new RequestValidationException("messages", "give either prompt or messages, not both");
      }
      return new Generate(null, ChatMessages.parse(messages), config(body), bool(body, "stream", true),
          string(body, "model"));
    }
    return new Generate(prompt(body), List.of(), config(body), bool(body, "stream", true), string(body, "model"));
  }

  /** A required, non-empty string {@code prompt}. */
  public static String prompt(JsonObject body) {
    Object prompt = body.getValue("prompt");
    if (prompt == null) {
      throw new RequestValidationException("prompt", "prompt is required (or messages)");
    }
    if (!(prompt instanceof String p)) {
      throw new RequestValidationException("prompt", "prompt must be a string");
    }
    if (p.isEmpty()) {
      throw new RequestValidationException("prompt", "prompt must not be empty");
    }
    return p;
  }

  /** Every stream-configuration field, over the defaults. */
  public static StreamConfig config(JsonObject b) {
    return configBuilder(b).build().validate();
  }

  /** Every stream-configuration field over the defaults, for a caller to adjust before validating. */
  public static StreamConfig.Builder configBuilder(JsonObject b) {
    StreamConfig d = StreamConfig.defaults();
    return d.toBuilder()
        .maxTokens(integer(b, "max_tokens", d.maxTokens()))
        .temperature(number(b, "temperature", d.temperature()))
        .topK(integer(b, "top_k", d.topK()))
        .topP(number(b, "top_p", d.topP()))
        .minP(number(b, "min_p", d.minP()))
        .repeatPenalty(number(b, "repeat_penalty", d.repeatPenalty()))
        .repeatLastN(integer(b, "repeat_last_n", d.repeatLastN()))
        .frequencyPenalty(number(b, "frequency_penalty", d.frequencyPenalty()))
        .presencePenalty(number(b, "presence_penalty", d.presencePenalty()))
        .seed(seed(b))
        .stop(stop(b))
        .streamDelayMs(longInteger(b, "stream_delay_ms", d.streamDelayMs()))
        .bufferSize(integer(b, "buffer_size", d.bufferSize()))
        .timeoutMs(longInteger(b, "timeout_ms", d.timeoutMs()))
        .topLogprobs(integer(b, "top_logprobs", d.topLogprobs()))
        .grammar(StructuredOutput.nativeGrammar(b))
        .cachePrompt(bool(b, "cache_prompt", d.cachePrompt()));
  }

  private static Long seed(JsonObject b) {
    if (b.getValue("seed") == null) {
      return null;
    }
    return longInteger(b, "seed", 0);
  }

  /** {@code stop}: a string or an array of strings. */
  private static List<String> stop(JsonObject b) {
    Object v = b.getValue("stop");
    if (v == null) {
      return List.of();
    }
    if (v instanceof String s) {
      return List.of(s);
    }
    if (!(v instanceof JsonArray a)) {
      throw new RequestValidationException("stop", "stop must be a string or an array of strings, got " + kind(v));
    }
    if (a.size() > StreamConfig.MAX_STOP_SEQUENCES) {
      throw new RequestValidationException("stop", "at most " + StreamConfig.MAX_STOP_SEQUENCES + " stop sequences");
    }
    List<String> out = new ArrayList<>(a.size());
    for (Object o : a) {
      if (!(o instanceof String s)) {
        throw new RequestValidationException("stop", "stop must be an array of strings, found " + kind(o));
      }
      out.add(s);
    }
    return out;
  }
}
