package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.flow.TokenStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The streams of one {@link Dispatcher}: one {@link Route} per stream id, and an index from the
 * wire id that the frames of a stream's current leg carry to its route.
 *
 * <p>Lifecycle of a record:
 * <ol>
 *   <li>{@link #add}: from its request on (waiting in the queue or being opened): {@link #owns}
 *       and {@link #route} find it, the streams lists do not.
 *   <li>{@link #open}: its current leg is being opened or runs: it is listed ({@link #stream},
 *       {@link #streams}, {@link #ownedBy}, {@link #snapshot}) and frames on its wire id reach it
 *       ({@link #byWire}).
 *   <li>{@link #unlist}: back in the queue, or no worker took it: unlisted, its wire id unknown,
 *       the record kept.
 *   <li>{@link #nextLeg}: it moves to another worker: frames of the old leg are not taken any more;
 *       the new leg's are once it is {@link #open opened}.
 *   <li>{@link #remove}: it ended (or its request failed): nothing of it is left.
 * </ol>
 * Every method is for the dispatcher's context, except {@link #streams}, {@link #waiting} and {@link #ownedBy},
 * which other threads (status pages, tests) may call: they see a weakly consistent view.
 */
final class StreamTable {

  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  /** The current leg's wire id of every listed stream. */
  private final Map<String, Route> wires = new HashMap<>();

  /** Adds stream {@code r.stream}, not listed yet; replaces a record of the same stream id. */
  void add(Route r) {
    routes.put(r.stream.streamId(), r);
  }

  /** The record of stream {@code sid}, from {@link #add} until {@link #remove}; or null. */
  Route route(String sid) {
    return routes.get(sid);
  }

  /** Whether stream {@code sid} is here (from its request until it ends). */
  boolean has(String sid) {
    return routes.containsKey(sid);
  }

  /** Whether stream {@code sid} is here and {@code owner} opened it. */
  boolean owns(StreamOwner owner, String sid) {
    Route r = routes.get(sid);
    return r != null && r.owner.equals(owner);
  }

  /** The stream's current leg is being opened: it is listed, and frames on its current wire id reach it. */
  void open(String sid) {
    Route r = routes.get(sid);
    if (r != null) {
      r.listed = true;
      wires.put(r.wire, r);
    }
  }

  /** The stream has no leg for now (back in the queue, or no worker took it): unlisted, its record kept. */
  void unlist(String sid) {
    Route r = routes.get(sid);
    if (r != null) {
      r.listed = false;
      wires.remove(r.wire);
    }
  }

  /**
   * The stream moves: frames on its current wire id are not taken any more, and its next leg
   * starts ({@link Route#nextLeg}).
   *
   * @return the new leg's wire id
   */
  String nextLeg(String sid) {
    Route r = routes.get(sid);
    wires.remove(r.wire);
    return r.nextLeg();
  }

  /**
   * The current leg's OPEN went unanswered and goes to the next worker under a fresh wire id:
   * frames on the old one (the late answer of a worker that was stopped or slow) are not taken any
   * more, the new one's are.
   *
   * @return the new wire id
   */
  String renewWire(String sid) {
    Route r = routes.get(sid);
    wires.remove(r.wire, r);
    String wire = r.renewWire();
    if (r.listed) {
      wires.put(wire, r);
    }
    return wire;
  }

  /**
   * The stream ended: its record and wire id are gone. A record the table holds under the same
   * stream id by now (the stream resumed here after this record was given up) stays.
   */
  void remove(Route r) {
    routes.remove(r.stream.streamId(), r);
    r.listed = false;
    wires.remove(r.wire, r);
  }

  /** Listed stream {@code sid}, or null. */
  TokenStream stream(String sid) {
    Route r = routes.get(sid);
    return r == null || !r.listed ? null : r.stream;
  }

  /** The listed stream a frame on {@code wire} belongs to, or null (it ended, or the leg was given up). */
  TokenStream byWire(String wire) {
    Route r = wires.get(wire);
    return r == null ? null : r.stream;
  }

  /** The listed streams (a copy). */
  List<TokenStream> streams() {
    return routes.values().stream().filter(r -> r.listed).map(r -> r.stream).toList();
  }

  /** The ids of the streams recorded but not listed: requests waiting for a slot (a copy). */
  List<String> waiting() {
    return routes.values().stream().filter(r -> !r.listed).map(r -> r.stream.streamId()).toList();
  }

  /** The listed streams {@code owner} opened (a copy). */
  List<TokenStream> ownedBy(StreamOwner owner) {
    return routes.values().stream().filter(r -> r.listed && r.owner.equals(owner)).map(r -> r.stream).toList();
  }

  /**
   * Hands {@code action} each listed stream's record, without copying the table: {@code action} may
   * end, move or add streams as it goes (a record added meanwhile may or may not be visited).
   */
  void forEachListed(java.util.function.Consumer<Route> action) {
    for (Route r : routes.values()) {
      if (r.listed) {
        action.accept(r);
      }
    }
  }

  /** The listed streams with their records (a copy), to go through while streams end. */
  List<Route> snapshot() {
    return routes.values().stream().filter(r -> r.listed).toList();
  }

  /** The stream's record while its current leg has a worker to send to; null while it has none (unlisted, being opened or moved). */
  Route live(String sid) {
    Route r = routes.get(sid);
    return r == null || !r.listed || r.moving || r.stream.workerEndpoint() == null ? null : r;
  }
}
