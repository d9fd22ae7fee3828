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
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a generation request's JSON into a {@link StreamConfig} and friends, strictly: a known
 * field of the wrong type is an error naming it; unknown fields are ignored (as OpenAI does).
 * Ranges are checked by {@link StreamConfig#validate()}. Shared by every route that generates.
 */
public final class GenerateParameters {

  /** OpenAI's APIs generate until the model stops or the context is full when no limit is given. */
  public static final int UNLIMITED = 1_000_000;


  /** A token id as a {@code logit_bias} key: decimal digits, no sign, no leading zero, at most 10 digits. */
  private static final Pattern TOKEN_ID = Pattern.compile("0|[1-9][0-9]{0,9}");

  private GenerateParameters() {}

  /**
   * The body of {@code POST /v1/generate} (and of a WebSocket {@code generate} frame): a prompt,
   * or chat messages that the worker renders with its model's template.
   */
  public record Generate(String prompt, List<Integer> promptTokens, List<ChatMessage> messages,
      StreamConfig config, boolean stream, String model) {

    /** The request to send to a worker. */
    public GenerationRequest toRequest(String id) {
      if (!messages.isEmpty()) {
        return GenerationRequest.chat(id, messages, config);
      }
      return prompt != null ? new GenerationRequest(id, prompt, config)
          : GenerationRequest.tokens(id, promptTokens, config);
    }
  }

  public static Generate parse(JsonObject body) {
    Object messages = body.getValue("messages");
    if (messages != null) {
      if (body.getValue("prompt") != null) {
        throw new RequestValidationException("messages", "give either prompt or messages, not both");
      }
      return new Generate(null, List.of(), ChatMessages.parse(messages), config(body), bool(body, "stream", true),
          string(body, "model"));
    }
    Object prompt = body.getValue("prompt");
    if (prompt instanceof JsonArray tokens) {
      return new Generate(null, tokenIds(tokens), List.of(), config(body), bool(body, "stream", true),
          string(body, "model"));
    }
    return new Generate(prompt(body), List.of(), List.of(), config(body), bool(body, "stream", true),
        string(body, "model"));
  }

  /** A required, non-empty string {@code prompt}. */
  public static String prompt(JsonObject body) {
    Object prompt = body.getValue("prompt");
    if (prompt == null) {
      throw new RequestValidationException("prompt", "prompt is required (or messages)");
    }
    if (!(prompt instanceof String p)) {
      throw new RequestValidationException("prompt", "prompt must be a string or an array of token ids, got "
          + kind(prompt));
    }
    if (p.isEmpty()) {
      throw new RequestValidationException("prompt", "prompt must not be empty");
    }
    return p;
  }

  /**
   * A prompt given as token ids of the model ({@code [1, 2, 3]}, as OpenAI's and llama-server's):
   * non-empty, each an integer from 0; whether each is in the vocabulary the worker checks.
   */
  public static List<Integer> tokenIds(JsonArray a) {
    if (a.isEmpty()) {
      throw new RequestValidationException("prompt", "prompt must not be empty");
    }
    if (a.size() > GenerationRequest.MAX_PROMPT_TOKENS) {
      throw new RequestValidationException("prompt", "prompt may hold at most " + GenerationRequest.MAX_PROMPT_TOKENS
          + " token ids, got " + a.size());
    }
    List<Integer> ids = new ArrayList<>(a.size());
    for (Object o : a) {
      if (!(o instanceof Integer || o instanceof Long) || ((Number) o).longValue() < 0
          || ((Number) o).longValue() > Integer.MAX_VALUE) {
        throw new RequestValidationException("prompt", "a prompt given as an array holds token ids (integers from"
            + " 0), found " + (o instanceof Number ? o : kind(o)));
      }
      ids.add(((Number) o).intValue());
    }
    return ids;
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
        .cachePrompt(bool(b, "cache_prompt", d.cachePrompt()))
        .logitBias(logitBias(b))
        .reasoningBudget(integer(b, "reasoning_budget", d.reasoningBudget()))
        .separateReasoning(reasoningFormat(b, ReasoningFormat.REASONING_CONTENT).separates());
  }

  /** {@code reasoning_format}, or {@code fallback} when it is not given. */
  static ReasoningFormat reasoningFormat(JsonObject b, ReasoningFormat fallback) {
    String name = string(b, "reasoning_format");
    return name == null ? fallback : ReasoningFormat.parse(name, "reasoning_format");
  }

  private static Long seed(JsonObject b) {
    Object v = b.getValue("seed");
    if (v == null) {
      return null;
    }
    if (v instanceof BigInteger big) {
      if (big.bitLength() > 63) {
        throw new RequestValidationException("seed", "seed must be a 64-bit integer, got " + big);
      }
      return StreamConfig.seedOf(big.longValue());
    }
    if (v instanceof Integer || v instanceof Long) {
      return StreamConfig.seedOf(((Number) v).longValue());
    }
    return StreamConfig.seedOf(longInteger(b, "seed", 0));
  }

  /**
   * {@code logit_bias}, as OpenAI's: an object from token ids (decimal strings such as {@code "436"})
   * to numbers. Its size is checked here, before a map of a bomb's size is built; the ranges by
   * {@link StreamConfig#validate()}, the ids against the vocabulary by the worker.
   */
  private static Map<Integer, Double> logitBias(JsonObject b) {
    Object v = b.getValue("logit_bias");
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof JsonObject o)) {
      throw new RequestValidationException("logit_bias", "logit_bias must be an object from token ids to biases, got "
          + kind(v));
    }
    if (o.size() > StreamConfig.MAX_LOGIT_BIAS) {
      throw new RequestValidationException("logit_bias", "logit_bias may name at most " + StreamConfig.MAX_LOGIT_BIAS
          + " tokens, got " + o.size());
    }
    Map<Integer, Double> bias = new HashMap<>(o.size() * 2);
    for (Map.Entry<String, Object> e : o) {
      String key = e.getKey();
      if (!TOKEN_ID.matcher(key).matches()) {
        throw new RequestValidationException("logit_bias", "logit_bias keys must be token ids (\"0\" to \""
            + Integer.MAX_VALUE + "\"), got \"" + excerpt(key) + "\"");
      }
      long id = Long.parseLong(key);
      if (id > Integer.MAX_VALUE) {
        throw new RequestValidationException("logit_bias", "logit_bias key " + key + " is not a token id");
      }
      if (!(e.getValue() instanceof Number n)) {
        throw new RequestValidationException("logit_bias", "logit_bias values must be numbers, got "
            + kind(e.getValue()) + " for token " + key);
      }
      bias.put((int) id, n.doubleValue()); // keys have no leading zeros: no two name one token
    }
    return bias;
  }

  /** The first 20 characters of {@code s} (whole code points), to quote in an error. */
  private static String excerpt(String s) {
    return s.codePointCount(0, s.length()) <= 20 ? s : s.substring(0, s.offsetByCodePoints(0, 20)) + "…";
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
