package dev.tokenbus.gateway.api.generate;

import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.WholeResponseChannel;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The answer to {@code "stream": false}: tokens are collected (max_tokens bounds them) and one JSON
 * object is sent at the end: {@code {id, text, tokens, finish_reason, usage, timings, seed}}.
 */
public final class CollectingChannel extends WholeResponseChannel {

  private final String id;
  private final StringBuilder text = new StringBuilder();
  private final JsonArray tokens = new JsonArray();

  public CollectingChannel(HttpServerResponse response, String id) {
    super(response);
    this.id = id;
  }

  @Override
  public Future<Void> send(String event, String eventId, JsonObject payload) {
    switch (event) {
      case "token" -> {
        text.append(payload.getString("text"));
        tokens.add(payload);
      }
      case "done" -> respond(200, payload.put("id", id).put("text", text.toString()).put("tokens", tokens));
      default -> ApiError.ofStream(payload.getString("type"), payload.getString("message")).send(response);
    }
    return Future.succeededFuture();
  }
}
