package dev.tokenbus.gateway.api.anthropic;

import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.SseChannel;
import dev.tokenbus.gateway.serve.SseEventChannel;
import dev.tokenbus.gateway.serve.StreamEvent;
import dev.tokenbus.gateway.toolcall.StreamedAnswer;
import dev.tokenbus.gateway.toolcall.ToolSpec;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.toolcall.ParsedAnswer;
import dev.tokenbus.toolcall.ToolCall;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A streamed message on an SSE response, in Anthropic's event sequence: {@code message_start}
 * (the message without content, the prompt's tokens) and a {@code ping} when the worker accepted
 * the request, and a {@code ping} again whenever nothing was sent for the gateway's keep-alive time
 * (a long prompt, a slow model); then the content blocks ({@link ContentBlocks}): text as {@code text_delta}s, each
 * tool call as a {@code tool_use} block whose input streams as {@code input_json_delta}s; at the
 * end {@code message_delta} (stop reason, stop sequence, usage) and {@code message_stop}. What is
 * text, a streamed call or held back is decided by {@link StreamedAnswer}, as for OpenAI's chat.
 * A failure after the start is an {@code error} event in Anthropic's error shape. Backpressure,
 * keep-alive comments and disconnects are the SSE channel's.
 *
 * <p>Thinking: once a token says it is reasoning, {@link #send} gives its text to a thinking block
 * of {@link ContentBlocks} before the answer's blocks; nothing else here changes.
 */
final class MessagesStreamChannel extends SseEventChannel {

  /** Anthropic's {@code ping} event: sent after {@code message_start}, and as the keep-alive while nothing else is. */
  static final String PING = "event: ping\ndata: {\"type\":\"ping\"}\n\n";

  private final Message message;
  private final ContentBlocks blocks;
  /** Reads the answer for tool calls; null when the request declared none. */
  private final StreamedAnswer answer;
  private boolean calledTools;

  /** @param tools the request's tools, or null for a plain answer */
  MessagesStreamChannel(SseChannel sse, Message message, ToolSpec tools, int promptTokens) {
    super(sse);
    this.message = message;
    this.blocks = new ContentBlocks(sse);
    this.answer = tools == null ? null : new StreamedAnswer(tools);
    sse.event("message_start", null, new JsonObject().put("type", "message_start")
        .put("message", message.started(promptTokens)));
    sse.event("ping", null, new JsonObject().put("type", "ping"));
  }

  @Override
  public Future<Void> send(StreamEvent event) {
    return switch (event) {
      case StreamEvent.Token t when t.token().reasoning() -> blocks.thinking(t.token().text());
      case StreamEvent.Token t -> answer == null ? blocks.text(t.token().text()) : switch (answer.feed(t.token().text())) {
        case StreamedAnswer.Content c -> blocks.text(c.text());
        case StreamedAnswer.Calls c -> calls(c.deltas());
        case StreamedAnswer.Held h -> Future.succeededFuture();
      };
      case StreamEvent.Done d -> done(d.result());
      case StreamEvent.Failed f -> sse.event("error", null,
          ApiError.ofStream(f.type(), f.message()).anthropicJson());
    };
  }

  /** Streamed call deltas: a delta with an id opens the call's block; its arguments are input. */
  private Future<Void> calls(JsonArray deltas) {
    Future<Void> sent = Future.succeededFuture();
    for (int i = 0; i < deltas.size(); i++) {
      JsonObject d = deltas.getJsonObject(i);
      JsonObject f = d.getJsonObject("function", new JsonObject());
      if (d.getString("id") != null) {
        calledTools = true;
        blocks.toolUse(d.getString("id"), f.getString("name"));
      }
      String args = f.getString("arguments", "");
      if (!args.isEmpty()) {
        sent = blocks.inputJson(args);
      }
    }
    return sent;
  }

  private Future<Void> done(GenerationResult result) {
    if (answer != null && answer.holding()) {
      // An answer held to its end: read whole, its text and calls go out as blocks now.
      ParsedAnswer parsed = answer.parseHeld();
      blocks.text(parsed.content());
      for (ToolCall c : parsed.calls()) {
        calledTools = true;
        blocks.toolUse(c.id(), c.name());
        blocks.inputJson(c.arguments());
      }
    }
    blocks.close();
    JsonObject delta = new JsonObject().put("stop_reason", Message.stopReason(result, calledTools))
        .put("stop_sequence", result.stopSequence());
    sse.event("message_delta", null, new JsonObject().put("type", "message_delta").put("delta", delta)
        .put("usage", Message.usage(result)));
    return sse.event("message_stop", null, new JsonObject().put("type", "message_stop"));
  }
}
