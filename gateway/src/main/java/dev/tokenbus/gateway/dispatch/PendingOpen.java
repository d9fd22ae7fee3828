package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.frame.OpenFrame;
import io.vertx.core.Promise;

/**
 * A stream's leg being opened, or waiting for a slot: a new request, or a stream moving to another
 * worker. {@code open.streamId()} is the wire id of the leg.
 */
record PendingOpen(TokenStream stream, OpenFrame open, String model, Promise<TokenStream> opened,
    long sinceNanos, long deadlineNanos) {

  String sid() {
    return stream.streamId();
  }

  /** A leg of a stream that ran already (moved or resumed), not a new request. */
  boolean isMove() {
    return !open.resume().isEmpty() || !open.streamId().equals(stream.streamId());
  }
}
