package dev.tokenbus.client;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/** {@link Transport#SSE}: one Server-Sent Events request per generation ({@link SseConnection}). */
final class SseTransport extends Transport {

  SseTransport() {
    super("SSE");
  }

  @Override
  Connection connect(Vertx vertx, Context context, TokenbusOptions options) {
    return new SseConnection(vertx, context, options);
  }
}
