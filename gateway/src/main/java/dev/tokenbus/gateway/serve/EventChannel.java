package dev.tokenbus.gateway.serve;

import io.vertx.core.Future;
import io.vertx.core.Handler;

/**
 * Where one generation's events go, framed for one transport (an SSE response, a WebSocket shared
 * by several generations, or a buffer for a non-streaming answer). The relay that feeds it is the
 * same for all.
 */
public interface EventChannel {

  /** Encodes and sends one event; the relay sends tokens, then one {@code Done} or {@code Failed}. */
  Future<Void> send(StreamEvent event);

  /** True while the transport cannot take more; the relay pauses its stream. */
  boolean writeQueueFull();

  /** Runs once when the transport can take more again. */
  void drainHandler(Handler<Void> handler);

  /** Called when the generation is over (after done or error). */
  void close();
}
