package dev.tokenbus.gateway.api.anthropic;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.Usage;
import dev.tokenbus.toolcall.ToolCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What a message of one request says about itself, whole or streamed: its {@code id}
 * ({@code msg_} and the stream id), {@code model}, {@code stop_reason} and {@code usage}.
 */
record Message(String id, String model) {

  static Message of(String streamId, String model) {
    return new Message("msg_" + streamId, model);
  }

  /** The message as {@code message_start} opens it: no content, no stop reason, the prompt's tokens so far. */
  JsonObject started(int promptTokens) {
    return head().put("content", new JsonArray()).put("stop_reason", null).put("stop_sequence", null)
        .put("usage", new JsonObject().put("input_tokens", promptTokens).put("cache_creation_input_tokens", 0)
            .put("cache_read_input_tokens", 0).put("output_tokens", 0));
  }

  /** A whole (non-streaming) message. */
  JsonObject whole(JsonArray content, GenerationResult result, boolean calledTools) {
    return head().put("content", content).put("stop_reason", stopReason(result, calledTools))
        .put("stop_sequence", result.stopSequence()).put("usage", usage(result));
  }

  private JsonObject head() {
    return new JsonObject().put("id", id).put("type", "message").put("role", "assistant").put("model", model);
  }

  /**
   * Anthropic's stop reason: {@code tool_use} when the answer called tools, {@code stop_sequence}
   * when one of {@code stop_sequences} ended it, {@code end_turn} when the model ended it, and
   * {@code max_tokens} for a limit ({@code max_tokens}, the context, or the deadline).
   */
  static String stopReason(GenerationResult result, boolean calledTools) {
    if (result.finishReason() != FinishReason.STOP) {
      return "max_tokens";
    }
    if (calledTools) {
      return "tool_use";
    }
    return result.stopSequence() != null ? "stop_sequence" : "end_turn";
  }

  /**
   * {@code {input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens}}: as
   * Anthropic counts them, {@code input_tokens} leaves out the prompt tokens read from the worker's
   * prefix cache ({@code cache_read_input_tokens}); nothing is billed for writing the cache.
   */
  static JsonObject usage(GenerationResult result) {
    Usage u = result.usage();
    return new JsonObject().put("input_tokens", u.promptTokens() - u.cachedTokens())
        .put("cache_creation_input_tokens", 0).put("cache_read_input_tokens", u.cachedTokens())
        .put("output_tokens", u.completionTokens());
  }

  /** A {@code text} block. */
  /** A thinking block; its signature is empty (reasoning is not signed here). */
  static JsonObject thinkingBlock(String thinking) {
    return new JsonObject().put("type", "thinking").put("thinking", thinking).put("signature", "");
  }

  static JsonObject textBlock(String text) {
    return new JsonObject().put("type", "text").put("text", text);
  }

  /** A {@code tool_use} block as it opens, before its input: {@code input} is empty. */
  static JsonObject toolUseBlock(String callId, String name) {
    return new JsonObject().put("type", "tool_use").put("id", Conversation.TOOL_ID_PREFIX + callId)
        .put("name", name).put("input", new JsonObject());
  }

  /** A whole {@code tool_use} block: its {@code input} is the call's arguments as JSON. */
  static JsonObject toolUseBlock(ToolCall call) {
    return toolUseBlock(call.id(), call.name()).put("input", ToolCall.argumentsValue(call.arguments()));
  }
}
