package dev.tokenbus.gateway.serve;

import dev.tokenbus.protocol.TokenData;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.streams.WriteStream;

/** Adapts an {@link EventChannel} to {@code WriteStream<TokenData>}, so a token stream can be piped into it. */
final class TokenEventWriter implements WriteStream<TokenData> {

  private final EventChannel channel;
  private final RequestObserver observer;
  private boolean finalWritten;

  TokenEventWriter(EventChannel channel, RequestObserver observer) {
    this.channel = channel;
    this.observer = observer;
  }

  @Override
  public Future<Void> write(TokenData t) {
    finalWritten |= t.isFinal();
    Future<Void> sent = channel.send(new StreamEvent.Token(t));
    observer.onToken();
    return sent;
  }

  /**
   * The channel's; but after the final token, only the stream's end is left to take, and a channel
   * out of credit (a WebSocket generation's) must not hold it back: the {@code done} event costs no
   * credit, and its client has no token left to take that would grant more.
   */
  @Override
  public boolean writeQueueFull() {
    return !finalWritten && channel.writeQueueFull();
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
