package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.Timings;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.Tool;
import dev.tokenbus.protocol.TopLogprob;
import dev.tokenbus.protocol.Usage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Frames as JSON objects with snake_case names. Not used on the bus: it is the baseline that
 * {@link CodecBenchmark} measures {@link FrameCodec} against, and a readable form for debugging.
 */
public final class FrameJson {

  private FrameJson() {}

  public static JsonObject toJson(Frame frame) {
    JsonObject j = new JsonObject().put("type", typeName(frame)).put("stream_id", frame.streamId());
    switch (frame) {
      case OpenFrame f -> j.put("reply_to", f.replyTo()).put("gateway_node", f.gatewayNode())
          .put("window", f.window()).put("request", f.request() == null ? null : requestJson(f.request()))
          .put("resume", new JsonArray(new ArrayList<>(f.resume())))
          .put("resumable", f.resumable() == null ? null : new JsonObject().put("owner", f.resumable().owner())
              .put("grace_ms", f.resumable().graceMs()));
      case AcceptFrame f -> j.put("worker_endpoint", f.workerEndpoint()).put("worker_node", f.workerNode())
          .put("prompt_tokens", f.promptTokens());
      case RefuseFrame f -> j.put("reason", f.reason() == null ? null : f.reason().name())
          .put("message", f.message()).put("param", f.param());
      case TokensFrame f -> {
        JsonArray tokens = new JsonArray(new ArrayList<>(f.tokens().size()));
        for (TokenData t : f.tokens()) {
          tokens.add(tokenJson(t));
        }
        j.put("generated", f.generated()).put("tokens", tokens);
      }
      case EndFrame f -> j.put("result", f.result() == null ? null : resultJson(f.result()));
      case ErrorFrame f -> {
        j.put("error_type", f.type().wireName()).put("message", f.message());
        if (f.moveTo() != null) {
          j.put("move_to", f.moveTo());
        }
      }
      case CreditFrame f -> j.put("credits", f.credits());
      case CancelFrame f -> j.put("reason", f.reason());
      case HeartbeatFrame f -> j.put("generated", f.generated()).put("state", f.state());
    }
    return j;
  }

  public static Frame fromJson(JsonObject j) {
    String type = j.getString("type");
    String sid = j.getString("stream_id");
    try {
      return switch (type == null ? "" : type) {
        case "open" -> new OpenFrame(sid, j.getString("reply_to"), j.getString("gateway_node"),
            j.getInteger("window"), j.getJsonObject("request") == null ? null : request(j.getJsonObject("request")),
            tokenIds(j.getJsonArray("resume")), resumable(j.getJsonObject("resumable")));
        case "accept" -> new AcceptFrame(sid, j.getString("worker_endpoint"), j.getString("worker_node"),
            j.getInteger("prompt_tokens"));
        case "refuse" -> new RefuseFrame(sid,
            j.getString("reason") == null ? null : RefuseFrame.Reason.valueOf(j.getString("reason")),
            j.getString("message"), j.getString("param"));
        case "tokens" -> new TokensFrame(sid, j.getInteger("generated"), tokens(j.getJsonArray("tokens")));
        case "end" -> new EndFrame(sid, j.getJsonObject("result") == null ? null : result(j.getJsonObject("result")));
        case "error" -> new ErrorFrame(sid, StreamErrorType.fromWire(j.getString("error_type")), j.getString("message"),
            j.getString("move_to"));
        case "credit" -> new CreditFrame(sid, j.getInteger("credits"));
        case "cancel" -> new CancelFrame(sid, j.getString("reason"));
        case "heartbeat" -> new HeartbeatFrame(sid, j.getInteger("generated"), j.getString("state"));
        default -> throw new MalformedFrameException("unknown frame type '" + type + "'");
      };
    } catch (ClassCastException | NullPointerException | IllegalArgumentException | RequestValidationException e) {
      throw new MalformedFrameException("malformed " + type + " frame: " + e.getMessage(), e);
    }
  }

  private static String typeName(Frame frame) {
    return switch (frame) {
      case OpenFrame f -> "open";
      case AcceptFrame f -> "accept";
      case RefuseFrame f -> "refuse";
      case TokensFrame f -> "tokens";
      case EndFrame f -> "end";
      case ErrorFrame f -> "error";
      case CreditFrame f -> "credit";
      case CancelFrame f -> "cancel";
      case HeartbeatFrame f -> "heartbeat";
    };
  }

  private static JsonObject tokenJson(TokenData t) {
    JsonObject j = new JsonObject().put("index", t.index()).put("text", t.text()).put("token_id", t.tokenId())
        .put("logprob", t.logprob());
    if (!t.topLogprobs().isEmpty()) {
      JsonArray top = new JsonArray(new ArrayList<>(t.topLogprobs().size()));
      for (TopLogprob p : t.topLogprobs()) {
        top.add(new JsonObject().put("token_id", p.tokenId()).put("text", p.text()).put("logprob", p.logprob()));
      }
      j.put("top_logprobs", top);
    }
    if (t.isFinal()) {
      j.put("is_final", true).put("finish_reason", t.finishReason().wireName());
    }
    if (t.reasoning()) {
      j.put("reasoning", true);
    }
    return j;
  }

  private static List<TokenData> tokens(JsonArray array) {
    List<TokenData> tokens = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      JsonObject t = array.getJsonObject(i);
      String finish = t.getString("finish_reason");
      tokens.add(new TokenData(t.getInteger("index"), t.getString("text"), t.getInteger("token_id"),
          t.getDouble("logprob"), topLogprobs(t.getJsonArray("top_logprobs")), t.getBoolean("is_final", false),
          finish == null ? null : FinishReason.fromWireName(finish), t.getBoolean("reasoning", false)));
    }
    return tokens;
  }

  private static List<TopLogprob> topLogprobs(JsonArray array) {
    if (array == null) {
      return List.of();
    }
    List<TopLogprob> top = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      JsonObject p = array.getJsonObject(i);
      top.add(new TopLogprob(p.getInteger("token_id"), p.getString("text"), p.getDouble("logprob")));
    }
    return top;
  }

  private static OpenFrame.Resumable resumable(JsonObject j) {
    return j == null ? null : new OpenFrame.Resumable(j.getString("owner"), j.getLong("grace_ms"));
  }

  private static List<Integer> tokenIds(JsonArray array) {
    List<Integer> ids = new ArrayList<>(array == null ? 0 : array.size());
    for (int i = 0; array != null && i < array.size(); i++) {
      ids.add(array.getInteger(i));
    }
    return ids;
  }

  private static JsonObject requestJson(GenerationRequest r) {
    StreamConfig c = r.config();
    JsonArray messages = new JsonArray();
    for (ChatMessage m : r.messages()) {
      messages.add(m.toJson());
    }
    return new JsonObject().put("id", r.id()).put("prompt", r.prompt()).put("messages", messages)
        .put("tools", new JsonArray(r.tools().stream().map(Tool::toJson).toList()))
        .put("prompt_tokens", new JsonArray(new ArrayList<>(r.promptTokens())))
        .put("config", new JsonObject()
        .put("max_tokens", c.maxTokens()).put("temperature", c.temperature()).put("top_k", c.topK())
        .put("top_p", c.topP()).put("min_p", c.minP()).put("repeat_penalty", c.repeatPenalty())
        .put("repeat_last_n", c.repeatLastN()).put("frequency_penalty", c.frequencyPenalty())
        .put("presence_penalty", c.presencePenalty()).put("seed", c.seed()).put("stop", new JsonArray(c.stop()))
        .put("stream_delay_ms", c.streamDelayMs()).put("buffer_size", c.bufferSize())
        .put("timeout_ms", c.timeoutMs()).put("top_logprobs", c.topLogprobs()).put("grammar", c.grammar())
        .put("cache_prompt", c.cachePrompt()).put("logit_bias", logitBiasJson(c.logitBias()))
        .put("reasoning_budget", c.reasoningBudget()).put("separate_reasoning", c.separateReasoning()))
        .put("template_args", r.templateArgs().isEmpty() ? null : r.templateArgs());
  }

  private static JsonObject logitBiasJson(Map<Integer, Double> bias) {
    JsonObject j = new JsonObject();
    bias.forEach((token, value) -> j.put(Integer.toString(token), value));
    return j;
  }

  private static Map<Integer, Double> logitBias(JsonObject j) {
    Map<Integer, Double> bias = new HashMap<>();
    if (j != null) {
      j.forEach(e -> bias.put(Integer.parseInt(e.getKey()), ((Number) e.getValue()).doubleValue()));
    }
    return bias;
  }

  private static GenerationRequest request(JsonObject j) {
    JsonObject c = j.getJsonObject("config");
    List<String> stop = new ArrayList<>();
    for (Object s : c.getJsonArray("stop")) {
      stop.add((String) s);
    }
    List<ChatMessage> messages = new ArrayList<>();
    JsonArray m = j.getJsonArray("messages");
    if (m != null) {
      for (int i = 0; i < m.size(); i++) {
        messages.add(ChatMessage.fromJson(m.getJsonObject(i)));
      }
    }
    return new GenerationRequest(j.getString("id"), j.getString("prompt"), messages, new StreamConfig(c.getInteger("max_tokens"),
        c.getDouble("temperature"), c.getInteger("top_k"), c.getDouble("top_p"), c.getDouble("min_p"),
        c.getDouble("repeat_penalty"), c.getInteger("repeat_last_n"), c.getDouble("frequency_penalty"),
        c.getDouble("presence_penalty"), c.getLong("seed"), stop, c.getLong("stream_delay_ms"),
        c.getInteger("buffer_size"), c.getLong("timeout_ms"), c.getInteger("top_logprobs"),
        c.getString("grammar"), c.getBoolean("cache_prompt", true), logitBias(c.getJsonObject("logit_bias")),
        c.getInteger("reasoning_budget", StreamConfig.UNLIMITED_REASONING), c.getBoolean("separate_reasoning", true)),
        tools(j.getJsonArray("tools")), tokenIds(j.getJsonArray("prompt_tokens")), j.getJsonObject("template_args"));
  }

  private static List<Tool> tools(JsonArray a) {
    List<Tool> tools = new ArrayList<>();
    if (a != null) {
      for (int i = 0; i < a.size(); i++) {
        tools.add(Tool.fromJson(a.getJsonObject(i)));
      }
    }
    return tools;
  }

  private static JsonObject resultJson(GenerationResult r) {
    JsonObject j = new JsonObject()
        .put("finish_reason", r.finishReason() == null ? null : r.finishReason().wireName())
        .put("error", r.error()).put("seed", r.seed()).put("stop_sequence", r.stopSequence());
    if (r.usage() != null) {
      j.put("usage", new JsonObject().put("prompt_tokens", r.usage().promptTokens())
          .put("completion_tokens", r.usage().completionTokens())
          .put("cached_tokens", r.usage().cachedTokens()));
    }
    if (r.timings() != null) {
      Timings t = r.timings();
      j.put("timings", new JsonObject().put("queue_ms", t.queueMs()).put("prompt_ms", t.promptMs())
          .put("generation_ms", t.generationMs()).put("prompt_tokens", t.promptTokens())
          .put("generated_tokens", t.generatedTokens()));
    }
    return j;
  }

  private static GenerationResult result(JsonObject j) {
    String finish = j.getString("finish_reason");
    JsonObject u = j.getJsonObject("usage");
    JsonObject t = j.getJsonObject("timings");
    return new GenerationResult(finish == null ? null : FinishReason.fromWireName(finish),
        u == null ? null : new Usage(u.getInteger("prompt_tokens"), u.getInteger("completion_tokens"),
            u.getInteger("cached_tokens", 0)),
        t == null ? null : new Timings(t.getDouble("queue_ms"), t.getDouble("prompt_ms"), t.getDouble("generation_ms"),
            t.getInteger("prompt_tokens"), t.getInteger("generated_tokens")),
        j.getString("error"), j.getLong("seed"), j.getString("stop_sequence"));
  }
}
