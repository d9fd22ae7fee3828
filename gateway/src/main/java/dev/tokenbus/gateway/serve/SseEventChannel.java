package dev.tokenbus.gateway.serve;

import io.vertx.core.Handler;

/**
 * An {@link EventChannel} on an SSE response: the transport's backpressure and end are the
 * {@link SseChannel}'s; a subclass only encodes its API's events into {@link #sse}.
 */
public abstract class SseEventChannel implements EventChannel {

  protected final SseChannel sse;

  protected SseEventChannel(SseChannel sse) {
    this.sse = sse;
  }

  @Override
  public final boolean writeQueueFull() {
    return sse.writeQueueFull();
  }

  @Override
  public final void drainHandler(Handler<Void> handler) {
    sse.drainHandler(handler);
  }

  @Override
  public final void close() {
    sse.close();
  }
}
