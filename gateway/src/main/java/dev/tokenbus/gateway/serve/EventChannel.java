package dev.tokenbus.gateway.serve;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;

/**
 * Where one generation's events go, framed for one transport (an SSE response, a WebSocket shared
 * by several generations, or a buffer for a non-streaming answer). The relay that feeds it is the
 * same for all.
 */
public interface EventChannel {

  /**
   * Sends an event.
   *
   * @param event {@code token}, {@code done} or {@code error}
   * @param id the event id (the token index), or null
   */
  Future<Void> send(String event, String id, JsonObject payload);

  /** True while the transport cannot take more; the relay pauses its stream. */
  boolean writeQueueFull();

  /** Runs once when the transport can take more again. */
  void drainHandler(Handler<Void> handler);

  /** Called when the generation is over (after done or error). */
  void close();
}
