package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.frame.OpenFrame;

/**
 * One stream's way through the cluster, its record in the {@link StreamTable}. A stream whose
 * worker dies, hangs or shuts down moves to another worker: a new leg, with its own wire id (so a
 * late frame from the old worker cannot mix in), re-opened with the tokens the gateway already
 * received, which the new worker replays. Changed on the dispatcher's context only.
 */
final class Route {
  final TokenStream stream;
  final GenerationRequest request;
  final String model;
  /** Who opened the stream: the only one who may resume, cancel or list it. */
  final StreamOwner owner;
  /** What every leg's OPEN tells its worker to keep the stream for its client; null when not resumable. */
  final OpenFrame.Resumable resumable;
  /** The request's timeout_ms deadline ({@link System#nanoTime} based). */
  final long deadlineNanos;
  /** The first leg's wire id; a later one's is this plus {@code ~n}. */
  final String firstWire;
  /** The wire id of the current leg. */
  String wire;
  int moves;
  /** Wire ids given after the first one: a move's, or a fresh one for an OPEN sent again elsewhere. */
  private int renewals;
  /** A move's leg is being opened: the stream has no worker. */
  boolean moving;
  /**
   * A leg is open or being opened ({@link StreamTable#open}): the stream is listed as open and its
   * frames reach it. False while it waits in the queue. Read by other threads for the status.
   */
  volatile boolean listed;

  Route(TokenStream stream, GenerationRequest request, String model, StreamOwner owner,
      OpenFrame.Resumable resumable, long deadlineNanos, String wire) {
    this.stream = stream;
    this.request = request;
    this.model = model;
    this.owner = owner;
    this.resumable = resumable;
    this.deadlineNanos = deadlineNanos;
    this.firstWire = wire;
    this.wire = wire;
  }

  /** Starts the next leg: a fresh wire id, counted as a move. */
  String nextLeg() {
    moves++;
    moving = true;
    return renewWire();
  }

  /** Gives the current leg a fresh wire id (not a move): nothing sent on the one before reaches the stream. */
  String renewWire() {
    renewals++;
    wire = firstWire + "~" + renewals;
    return wire;
  }
}
