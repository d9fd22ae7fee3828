package dev.tokenbus.http.openai;

import dev.tokenbus.http.ApiError;
import dev.tokenbus.http.EventChannel;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** A non-streaming OpenAI answer: tokens are gathered, then one {@code chat.completion} or {@code text_completion}. */
final class OpenAiCollectingChannel implements EventChannel {

  private final HttpServerResponse response;
  private final Envelope envelope;
  private final ResponseFormat.Collector collector;

  OpenAiCollectingChannel(HttpServerResponse response, Envelope envelope) {
    this.response = response;
    this.envelope = envelope;
    this.collector = envelope.format().collector();
  }

  @Override
  public Future<Void> send(String event, String id, JsonObject payload) {
    switch (event) {
      case "token" -> collector.add(payload);
      case "done" -> {
        if (!response.ended() && !response.closed()) {
          JsonObject body = envelope.response(collector.choice(Envelope.finishReason(payload.getString("finish_reason"))),
              Envelope.usage(payload));
          response.setStatusCode(200).putHeader("Content-Type", "application/json").end(body.encode());
        }
      }
      default -> ApiError.ofStream(payload.getString("type"), payload.getString("message")).send(response);
    }
    return Future.succeededFuture();
  }

  @Override
  public boolean writeQueueFull() {
    return false;
  }

  @Override
  public void drainHandler(Handler<Void> handler) {}

  @Override
  public void close() {}

  @Override
  public void onClientGone(Handler<Void> handler) {
    response.closeHandler(handler);
  }
}
