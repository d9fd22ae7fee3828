package dev.tokenbus.gateway.serve;

import dev.tokenbus.protocol.TokenData;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.streams.WriteStream;

/** Adapts an {@link EventChannel} to {@code WriteStream<TokenData>}, so a token stream can be piped into it. */
final class TokenEventWriter implements WriteStream<TokenData> {

  private final EventChannel channel;
  private final RequestObserver observer;

  TokenEventWriter(EventChannel channel, RequestObserver observer) {
    this.channel = channel;
    this.observer = observer;
  }

  @Override
  public Future<Void> write(TokenData t) {
    Future<Void> sent = channel.send(new StreamEvent.Token(t));
    observer.onToken();
    return sent;
  }

  @Override
  public boolean writeQueueFull() {
    return channel.writeQueueFull();
  }

  @Override
  public WriteStream<TokenData> drainHandler(Handler<Void> handler) {
    channel.drainHandler(handler);
    return this;
  }

  @Override
  public WriteStream<TokenData> exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public WriteStream<TokenData> setWriteQueueMaxSize(int maxSize) {
    return this; // the transport's own limit applies
  }

  @Override
  public Future<Void> end() {
    return Future.succeededFuture(); // the relay ends the channel itself, after the done or error event
  }
}
