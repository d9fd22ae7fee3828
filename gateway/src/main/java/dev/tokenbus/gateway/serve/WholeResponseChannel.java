package dev.tokenbus.gateway.serve;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * A channel whose events are gathered into one JSON answer at the end (a non-streaming request).
 * It never reports full: what it holds is bounded by max_tokens, not by the client's reading.
 */
public abstract class WholeResponseChannel implements EventChannel {

  protected final HttpServerResponse response;

  protected WholeResponseChannel(HttpServerResponse response) {
    this.response = response;
  }

  /** Sends the answer, unless the client is gone or an answer went out already. */
  protected final void respond(int status, JsonObject body) {
    if (!response.ended() && !response.closed()) {
      response.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }
  }

  @Override
  public final boolean writeQueueFull() {
    return false;
  }

  @Override
  public final void drainHandler(Handler<Void> handler) {}

  @Override
  public final void close() {}
}
