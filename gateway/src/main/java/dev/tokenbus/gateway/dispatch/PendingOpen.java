package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.frame.OpenFrame;
import io.vertx.core.Promise;

/**
 * A stream's leg being opened, or waiting for a slot: a new request ({@code move} false), or a
 * stream that ran already, moving to another worker or resumed here. {@code open.streamId()} is
 * the wire id of the leg.
 */
record PendingOpen(TokenStream stream, OpenFrame open, String model, Promise<TokenStream> opened,
    long sinceNanos, long deadlineNanos, boolean move) {

  String sid() {
    return stream.streamId();
  }

  /** A leg of a stream that ran already (moved or resumed), not a new request. */
  boolean isMove() {
    return move;
  }

  /** This leg, opened under wire id {@code wire}. */
  PendingOpen onWire(String wire) {
    return new PendingOpen(stream, new OpenFrame(wire, open.replyTo(), open.gatewayNode(), open.window(),
        open.request(), open.resume(), open.resumable()), model, opened, sinceNanos, deadlineNanos, move);
  }
}
