package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.GenerationRequest;

/**
 * One stream's way through the cluster. A stream whose worker dies, hangs or shuts down moves to
 * another worker: a new leg, with its own wire id (so a late frame from the old worker cannot mix
 * in), re-opened with the tokens the gateway already received, which the new worker replays.
 */
final class Route {
  final GenerationRequest request;
  final String model;
  /** Who opened the stream: the only one who may resume, cancel or list it. */
  final StreamOwner owner;
  final long deadlineNanos;
  /** The first leg's wire id; a move's leg is this plus {@code ~n}. */
  final String firstWire;
  String wire;
  int moves;
  boolean moving;

  Route(GenerationRequest request, String model, StreamOwner owner, long deadlineNanos, String wire) {
    this.request = request;
    this.model = model;
    this.owner = owner;
    this.deadlineNanos = deadlineNanos;
    this.firstWire = wire;
    this.wire = wire;
  }

  /** Starts the next leg: a fresh wire id, counted as a move. */
  String nextLeg() {
    moves++;
    wire = firstWire + "~" + moves;
    moving = true;
    return wire;
  }
}
