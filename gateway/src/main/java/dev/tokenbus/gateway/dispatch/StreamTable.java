package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.flow.TokenStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The streams of one gateway client: by stream id, and by the wire id their frames carry now (the
 * stream id, then a fresh one per move), with each stream's {@link Route} and deadline. A stream
 * is in the table from its leg being opened ({@link #open}) until it is {@link #forget forgotten};
 * its route lives from its request until it ends. Not thread-safe: used on the client's context.
 */
final class StreamTable {

  private final Map<String, TokenStream> streams = new HashMap<>();
  /** How each stream (by stream id) was asked for and which leg it is on; kept until the stream ends. */
  private final Map<String, Route> routes = new HashMap<>();
  private final Map<String, TokenStream> wires = new HashMap<>();
  /** Each stream's timeout_ms deadline, plus a grace period for the worker to report the timeout itself. */
  private final Map<String, Long> deadlines = new HashMap<>();

  void addRoute(String sid, Route route) {
    routes.put(sid, route);
  }

  Route route(String sid) {
    return routes.get(sid);
  }

  boolean hasRoute(String sid) {
    return routes.containsKey(sid);
  }

  /** Whether stream {@code sid} has a route and {@code owner} opened it. */
  boolean owns(StreamOwner owner, String sid) {
    Route r = routes.get(sid);
    return r != null && r.owner.equals(owner);
  }

  void removeRoute(String sid) {
    routes.remove(sid);
  }

  /** A leg being opened: its frames, on {@code wire}, reach {@code stream}; it ends by {@code deadlineNanos}. */
  void open(TokenStream stream, String wire, long deadlineNanos) {
    streams.put(stream.streamId(), stream);
    wires.put(wire, stream);
    deadlines.put(stream.streamId(), deadlineNanos);
  }

  /** The stream leaves the table (ended, or back in the queue); its route stays until it ends. */
  void forget(String sid) {
    streams.remove(sid);
    deadlines.remove(sid);
    Route r = routes.get(sid);
    wires.remove(r != null ? r.wire : sid);
  }

  /** Frames on {@code wire} are not taken any more (its leg was given up). */
  void dropWire(String wire) {
    wires.remove(wire);
  }

  TokenStream stream(String sid) {
    return streams.get(sid);
  }

  /** The stream a frame on {@code wire} belongs to, or null (it ended, or the leg was given up). */
  TokenStream byWire(String wire) {
    return wires.get(wire);
  }

  /** The streams open now (a live view). */
  Collection<TokenStream> streams() {
    return streams.values();
  }

  /** The open streams {@code owner} opened (a copy). */
  List<TokenStream> ownedBy(StreamOwner owner) {
    return streams.values().stream().filter(s -> owns(owner, s.streamId())).toList();
  }

  /** A copy of the open streams, to go through while streams end. */
  List<TokenStream> snapshot() {
    return new ArrayList<>(streams.values());
  }

  /** The stream's deadline (grace included), or {@link Long#MAX_VALUE} without one. */
  long deadline(String sid) {
    return deadlines.getOrDefault(sid, Long.MAX_VALUE);
  }

  /** The wire id of the stream's current leg, or null while it has no worker (being opened or moved). */
  String liveWire(String sid) {
    TokenStream s = streams.get(sid);
    Route r = routes.get(sid);
    return s == null || r == null || r.moving || s.workerEndpoint() == null ? null : r.wire;
  }
}
