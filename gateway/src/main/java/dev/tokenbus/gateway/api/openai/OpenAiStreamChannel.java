package dev.tokenbus.gateway.api.openai;

import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.SseChannel;
import dev.tokenbus.gateway.serve.SseEventChannel;
import dev.tokenbus.gateway.serve.StreamEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * An OpenAI stream on an SSE response: every event becomes a {@code data:} chunk with the same
 * {@code id} and {@code created}; the chat's role goes first, the finish reason rides on the last
 * token's chunk, a usage chunk ({@code choices: []}) follows only when asked, and
 * {@code data: [DONE]} ends it. A failure after the start is a {@code data: {"error": ...}} chunk,
 * then {@code [DONE]}. Backpressure and disconnects are the SSE channel's.
 */
final class OpenAiStreamChannel extends SseEventChannel {

  private final Envelope envelope;
  private final boolean includeUsage;
  private boolean finishSent;

  OpenAiStreamChannel(SseChannel sse, Envelope envelope, boolean includeUsage) {
    super(sse);
    this.envelope = envelope;
    this.includeUsage = includeUsage;
    JsonObject opening = envelope.shape().openingChoice();
    if (opening != null) {
      sse.data(envelope.chunk(opening, includeUsage));
    }
  }

  @Override
  public Future<Void> send(StreamEvent event) {
    switch (event) {
      case StreamEvent.Token t -> {
        String finish = t.token().isFinal() ? Envelope.finishReason(t.token().finishReason()) : null;
        JsonObject choice = envelope.shape().tokenChoice(t.token(), finish);
        if (choice == null) {
          return Future.succeededFuture(); // held back by the shape (a tool call being written)
        }
        finishSent |= finish != null;
        return sse.data(envelope.chunk(choice, includeUsage));
      }
      case StreamEvent.Done d -> {
        if (!finishSent) {
          sse.data(envelope.chunk(envelope.shape().finishChoice(Envelope.finishReason(
              d.result().finishReason())), includeUsage));
        }
        if (includeUsage) {
          sse.data(envelope.usageChunk(Envelope.usage(d.result())));
        }
        return sse.data("[DONE]");
      }
      case StreamEvent.Failed f -> {
        sse.data(new JsonObject().put("error", ApiError.ofStream(f.type(), f.message()).body()));
        return sse.data("[DONE]");
      }
    }
  }
}
