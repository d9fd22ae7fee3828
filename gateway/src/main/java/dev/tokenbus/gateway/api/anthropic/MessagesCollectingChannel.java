package dev.tokenbus.gateway.api.anthropic;

import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.StreamEvent;
import dev.tokenbus.gateway.serve.WholeResponseChannel;
import dev.tokenbus.gateway.toolcall.StreamedAnswer;
import dev.tokenbus.gateway.toolcall.ToolSpec;
import dev.tokenbus.toolcall.ParsedAnswer;
import dev.tokenbus.toolcall.ToolCall;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;

/**
 * A non-streaming message: the answer's text is gathered, then read for tool calls when the
 * request declared tools, and sent as one {@code message} whose content is a {@code thinking}
 * block (a thinking model's reasoning, when there is some), a {@code text} block (when there is
 * text) and a {@code tool_use} block per call.
 */
final class MessagesCollectingChannel extends WholeResponseChannel {

  private final Message message;
  private final ToolSpec tools;
  private final StringBuilder text = new StringBuilder();
  private final StringBuilder thinking = new StringBuilder();

  /** @param tools the request's tools, or null for a plain answer */
  MessagesCollectingChannel(HttpServerResponse response, Message message, ToolSpec tools) {
    super(response);
    this.message = message;
    this.tools = tools;
  }

  @Override
  public Future<Void> send(StreamEvent event) {
    switch (event) {
      case StreamEvent.Token t when t.token().reasoning() -> thinking.append(t.token().text());
      case StreamEvent.Token t -> text.append(t.token().text());
      case StreamEvent.Done d -> {
        ParsedAnswer answer = tools == null ? null : StreamedAnswer.parse(text.toString(), tools);
        String shown = answer == null ? text.toString() : answer.content();
        JsonArray content = new JsonArray();
        if (!thinking.isEmpty()) {
          content.add(Message.thinkingBlock(thinking.toString()));
        }
        if (!shown.isEmpty()) {
          content.add(Message.textBlock(shown));
        }
        boolean called = answer != null && !answer.calls().isEmpty();
        if (called) {
          for (ToolCall c : answer.calls()) {
            content.add(Message.toolUseBlock(c));
          }
        }
        respond(200, message.whole(content, d.result(), called));
      }
      case StreamEvent.Failed f -> ApiError.ofStream(f.type(), f.message()).send(response, ApiError.Shape.ANTHROPIC);
    }
    return Future.succeededFuture();
  }
}
