package dev.tokenbus.flow;

import dev.tokenbus.protocol.TokenData;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.streams.WriteStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A destination that holds what it is given until the test takes it: full once {@code capacity}
 * tokens wait, drained (and its drain handler run) when {@link #takeOne} makes room. Use on one context.
 */
final class SlowWriteStream implements WriteStream<TokenData> {

  private final int capacity;
  private final ArrayDeque<TokenData> waiting = new ArrayDeque<>();
  private Handler<Void> drainHandler;
  final List<TokenData> taken = new ArrayList<>();
  final Promise<Void> ended = Promise.promise();
  volatile int accepted;

  SlowWriteStream(int capacity) {
    this.capacity = capacity;
  }

  void takeOne() {
    boolean wasFull = writeQueueFull();
    TokenData t = waiting.poll();
    if (t != null) {
      taken.add(t);
    }
    if (wasFull && !writeQueueFull() && drainHandler != null) {
      drainHandler.handle(null);
    }
  }

  int takenCount() {
    return taken.size();
  }

  @Override
  public Future<Void> write(TokenData token) {
    waiting.add(token);
    accepted++;
    return Future.succeededFuture();
  }

  @Override
  public boolean writeQueueFull() {
    return waiting.size() >= capacity;
  }

  @Override
  public SlowWriteStream drainHandler(Handler<Void> handler) {
    drainHandler = handler;
    return this;
  }

  @Override
  public Future<Void> end() {
    ended.tryComplete();
    return Future.succeededFuture();
  }

  @Override
  public SlowWriteStream exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public SlowWriteStream setWriteQueueMaxSize(int maxSize) {
    return this;
  }
}
