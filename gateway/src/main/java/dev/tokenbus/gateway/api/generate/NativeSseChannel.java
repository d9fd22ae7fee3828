package dev.tokenbus.gateway.api.generate;

import dev.tokenbus.gateway.serve.EventChannel;
import dev.tokenbus.gateway.serve.SseChannel;
import dev.tokenbus.gateway.serve.StreamEvent;
import io.vertx.core.Future;
import io.vertx.core.Handler;

/** The native API's stream on SSE: each event as {@code id:}, {@code event:} and {@code data:} ({@link TokenJson}). */
public final class NativeSseChannel implements EventChannel {

  private final SseChannel sse;

  public NativeSseChannel(SseChannel sse) {
    this.sse = sse;
  }

  @Override
  public Future<Void> send(StreamEvent event) {
    return sse.event(TokenJson.name(event), TokenJson.id(event), TokenJson.payload(event));
  }

  @Override
  public boolean writeQueueFull() {
    return sse.writeQueueFull();
  }

  @Override
  public void drainHandler(Handler<Void> handler) {
    sse.drainHandler(handler);
  }

  @Override
  public void close() {
    sse.close();
  }
}
