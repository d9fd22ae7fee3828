package dev.tokenbus.gateway.api.anthropic;

import dev.tokenbus.gateway.serve.SseChannel;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The content blocks of one streamed message, as Anthropic's events: each block opens with
 * {@code content_block_start} (its index, from 0, and its empty form), grows by
 * {@code content_block_delta}s and ends with {@code content_block_stop}; one block is open at a
 * time, and a block of another type closes the open one. A {@code thinking} block (a thinking
 * model's reasoning) opens with {@code {"type":"thinking","thinking":""}}, grows by
 * {@code thinking_delta}s and sends a {@code signature_delta} before it closes; its signature is
 * empty: this server neither signs reasoning nor checks the signatures it is given back.
 */
final class ContentBlocks {

  private final SseChannel sse;
  private int index = -1;
  /** The open block's type, or null when none is open. */
  private String open;

  ContentBlocks(SseChannel sse) {
    this.sse = sse;
  }

  /** Text of the answer: into the open text block, or a new one. Empty text sends nothing. */
  Future<Void> text(String text) {
    if (text.isEmpty()) {
      return Future.succeededFuture();
    }
    if (!"text".equals(open)) {
      start(Message.textBlock(""));
    }
    return delta(new JsonObject().put("type", "text_delta").put("text", text));
  }

  /** Reasoning: into the open thinking block, or a new one. Empty text sends nothing. */
  Future<Void> thinking(String text) {
    if (text.isEmpty()) {
      return Future.succeededFuture();
    }
    if (!"thinking".equals(open)) {
      start(Message.thinkingBlock(""));
    }
    return delta(new JsonObject().put("type", "thinking_delta").put("thinking", text));
  }

  /** A tool call's block, opened with its id and name; its input follows as {@link #inputJson}. */
  void toolUse(String callId, String name) {
    start(Message.toolUseBlock(callId, name));
  }

  /** A fragment of the open tool call's input, as JSON text that joins the fragments before it. */
  Future<Void> inputJson(String fragment) {
    return delta(new JsonObject().put("type", "input_json_delta").put("partial_json", fragment));
  }

  /** Ends the open block, if any. */
  void close() {
    if ("thinking".equals(open)) {
      delta(new JsonObject().put("type", "signature_delta").put("signature", ""));
    }
    if (open != null) {
      sse.event("content_block_stop", null, new JsonObject().put("type", "content_block_stop").put("index", index));
      open = null;
    }
  }

  private void start(JsonObject block) {
    close();
    index++;
    open = block.getString("type");
    sse.event("content_block_start", null, new JsonObject().put("type", "content_block_start").put("index", index)
        .put("content_block", block));
  }

  private Future<Void> delta(JsonObject delta) {
    return sse.event("content_block_delta", null, new JsonObject().put("type", "content_block_delta")
        .put("index", index).put("delta", delta));
  }
}
