package dev.tokenbus.client;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/** {@link Transport#WEBSOCKET}: generations multiplexed on WebSockets ({@link WebSocketConnection}). */
final class WebSocketTransport extends Transport {

  WebSocketTransport() {
    super("WEBSOCKET");
  }

  @Override
  Connection connect(Vertx vertx, Context context, TokenbusOptions options) {
    return new WebSocketConnection(vertx, context, options);
  }
}
