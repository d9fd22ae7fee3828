package dev.tokenbus.gateway.api.generate;

import dev.tokenbus.gateway.serve.SseChannel;
import dev.tokenbus.gateway.serve.SseEventChannel;
import dev.tokenbus.gateway.serve.StreamEvent;
import io.vertx.core.Future;

/** The native API's stream on SSE: each event as {@code id:}, {@code event:} and {@code data:} ({@link TokenJson}). */
public final class NativeSseChannel extends SseEventChannel {

  public NativeSseChannel(SseChannel sse) {
    super(sse);
  }

  @Override
  public Future<Void> send(StreamEvent event) {
    return sse.event(TokenJson.name(event), TokenJson.id(event), TokenJson.payload(event));
  }
}
