package dev.tokenbus.gateway.api.generate;

import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.StreamEvent;
import dev.tokenbus.gateway.serve.WholeResponseChannel;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The answer to {@code "stream": false}: tokens are collected (max_tokens bounds them) and one JSON
 * object is sent at the end: {@code {id, text, reasoning?, tokens, finish_reason, usage, timings, seed}},
 * where {@code text} is the answer and {@code reasoning} a thinking model's reasoning, when it has some.
 */
public final class CollectingChannel extends WholeResponseChannel {

  private final String id;
  private final StringBuilder text = new StringBuilder();
  private final StringBuilder reasoning = new StringBuilder();
  private final JsonArray tokens = new JsonArray();

  public CollectingChannel(HttpServerResponse response, String id) {
    super(response);
    this.id = id;
  }

  @Override
  public Future<Void> send(StreamEvent event) {
    switch (event) {
      case StreamEvent.Token t -> {
        (t.token().reasoning() ? reasoning : text).append(t.token().text());
        tokens.add(TokenJson.token(t.token()));
      }
      case StreamEvent.Done d -> {
        JsonObject body = TokenJson.done(d.result(), d.gatewayQueueMs()).put("id", id).put("text", text.toString());
        if (!reasoning.isEmpty()) {
          body.put("reasoning", reasoning.toString());
        }
        respond(200, body.put("tokens", tokens));
      }
      case StreamEvent.Failed f -> ApiError.ofStream(f.type(), f.message()).send(response);
    }
    return Future.succeededFuture();
  }
}
