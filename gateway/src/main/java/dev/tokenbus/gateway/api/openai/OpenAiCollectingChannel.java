package dev.tokenbus.gateway.api.openai;

import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.StreamEvent;
import dev.tokenbus.gateway.serve.WholeResponseChannel;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;

/** A non-streaming OpenAI answer: tokens are gathered, then one {@code chat.completion} or {@code text_completion}. */
final class OpenAiCollectingChannel extends WholeResponseChannel {

  private final Envelope envelope;
  private final AnswerShape.Collector collector;

  OpenAiCollectingChannel(HttpServerResponse response, Envelope envelope) {
    super(response);
    this.envelope = envelope;
    this.collector = envelope.shape().collector();
  }

  @Override
  public Future<Void> send(StreamEvent event) {
    switch (event) {
      case StreamEvent.Token t -> collector.add(t.token());
      case StreamEvent.Done d -> respond(200, envelope.response(
          collector.choice(Envelope.finishReason(d.result().finishReason())), Envelope.usage(d.result())));
      case StreamEvent.Failed f -> ApiError.ofStream(f.type(), f.message()).send(response);
    }
    return Future.succeededFuture();
  }
}
