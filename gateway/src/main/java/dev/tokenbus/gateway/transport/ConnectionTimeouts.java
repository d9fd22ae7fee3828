package dev.tokenbus.gateway.transport;

import dev.tokenbus.gateway.serve.ApiError;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Closes HTTP/1 connections that hold the server without using it: one that sends no request
 * headers in time, one whose request body stops arriving (answered 408), and one with no request
 * in progress for the idle timeout. A response in progress (an open stream, however quiet) is never
 * cut. WebSockets are registered separately: one with no generation and no message for the idle
 * timeout is closed normally. Each connection is checked about once a second, on the gateway's event
 * loop: a tenth of them every 100 ms, not all at once, as a walk of 10,000 connections held the
 * event loop for about 7 ms, in front of every token that came meanwhile.
 */
public final class ConnectionTimeouts {

  /**
   * Connection timeouts; 0 turns one off. None ever cuts a response in progress (an open stream).
   *
   * @param idleMs a connection with no request in progress (a keep-alive HTTP connection between
   *     requests, a WebSocket with no generation and no message) is closed after this long
   * @param headersMs a new connection must have sent its first request's headers within this
   * @param bodyMs a request's body must have arrived whole within this of its headers, else 408
   */
  public record Limits(long idleMs, long headersMs, long bodyMs) {
    public static Limits defaults() {
      return new Limits(60_000, 30_000, 30_000);
    }
  }

  /** What the sweep knows of one WebSocket. */
  public interface Socket {
    /** Whether it runs no generation. */
    boolean idle();

    /** When it last received a message or finished a generation, in {@link System#nanoTime()}. */
    long lastActivityNanos();

    /** Closes it because it was idle. */
    void closeIdle();
  }

  private static final class Tracked {
    final HttpConnection connection;
    final long connectedNanos;
    /** Where it is in {@link #ring}. */
    int slot;
    HttpServerRequest last;
    long lastStartNanos;
    long idleSinceNanos;

    Tracked(HttpConnection connection, long now) {
      this.connection = connection;
      this.connectedNanos = now;
    }
  }

  private final Limits timeouts;
  private final LongSupplier clock;
  /** How many ticks a round of the checks takes, at most: each tick checks that share of the connections. */
  private static final int SLICES = 10;
  private final Map<HttpConnection, Tracked> connections = new HashMap<>();
  /** The same connections in the order the checks go round them (a removal moves the last into its slot). */
  private final List<Tracked> ring = new ArrayList<>();
  private int cursor;
  private final int slices;
  private long ticks;
  private final java.util.Set<Socket> sockets = new java.util.HashSet<>();
  private final long timer;
  private final Vertx vertx;

  public ConnectionTimeouts(Vertx vertx, Limits timeouts) {
    this.vertx = vertx;
    this.timeouts = timeouts;
    this.clock = System::nanoTime;
    long shortest = java.util.stream.LongStream.of(timeouts.idleMs(), timeouts.headersMs(), timeouts.bodyMs())
        .filter(t -> t > 0).min().orElse(0);
    long round = Math.max(10, Math.min(1000, shortest / 4));
    long tick = Math.max(10, round / SLICES);
    this.slices = (int) Math.max(1, round / tick);
    this.timer = shortest == 0 ? -1 : vertx.setPeriodic(tick, id -> sweep());
  }

  /** A new connection: it has the header timeout to send its first request. */
  public void connected(HttpConnection connection) {
    if (timer < 0 || connection.protocolVersion() == HttpVersion.HTTP_2) {
      return; // HTTP/2 keeps its own pings and settings
    }
    Tracked t = new Tracked(connection, clock.getAsLong());
    if (connections.putIfAbsent(connection, t) == null) {
      t.slot = ring.size();
      ring.add(t);
    }
    connection.closeHandler(v -> forget(connection));
  }

  /** A request arrived on its connection: from now on the body timeout runs, then the idle timeout once it is answered. */
  public void request(HttpServerRequest request) {
    Tracked t = connections.get(request.connection());
    if (t == null) {
      return;
    }
    t.last = request;
    t.lastStartNanos = clock.getAsLong();
    t.idleSinceNanos = 0;
  }

  /**
   * {@code connection} became a WebSocket: it leaves this sweep (the WebSocket's own idle timeout
   * takes over once it is {@link #register registered}). Only a handshake that succeeded does this;
   * a request that merely carries an {@code Upgrade} header is timed like any other.
   */
  public void upgraded(HttpConnection connection) {
    forget(connection);
  }

  private void forget(HttpConnection connection) {
    Tracked t = connections.remove(connection);
    if (t != null) {
      Tracked last = ring.removeLast();
      if (last != t) {
        last.slot = t.slot;
        ring.set(t.slot, last);
      }
    }
  }

  /** A WebSocket to close when it idles; it leaves the sweep when it closes. */
  public void register(Socket socket) {
    if (timer >= 0 && timeouts.idleMs() > 0) {
      sockets.add(socket);
    }
  }

  public void unregister(Socket socket) {
    sockets.remove(socket);
  }

  /**
   * One tick: the next share of the connections; once a round ({@code slices} ticks), the WebSockets,
   * whether or not any HTTP connection is left in the round (upgraded ones leave it).
   */
  private void sweep() {
    long now = clock.getAsLong();
    int share = (ring.size() + slices - 1) / slices;
    for (int k = 0; k < share && !ring.isEmpty(); k++) {
      if (cursor >= ring.size()) {
        cursor = 0;
      }
      Tracked t = ring.get(cursor);
      if (!check(t, now)) {
        cursor++; // else it was closed, and the last one took its slot: that one is next
      }
    }
    if (++ticks % slices == 0) {
      sweepSockets(now);
    }
  }

  /** Checks one connection's timeouts; true when it was closed for one. */
  private boolean check(Tracked t, long now) {
    HttpConnection conn = t.connection;
    HttpServerRequest r = t.last;
    if (r == null) {
      if (over(now - t.connectedNanos, timeouts.headersMs())) {
        close(conn); // no request line and headers in time: nothing to answer yet
        return true;
      }
    } else if (!r.isEnded() && !r.response().ended()) {
      if (over(now - t.lastStartNanos, timeouts.bodyMs())) {
        ApiError error = new ApiError(408, "invalid_request_error", "the request body did not arrive within "
            + timeouts.bodyMs() + " ms", null, "request_timeout");
        if (!r.response().headWritten()) {
          r.response().putHeader("Connection", "close");
        }
        error.send(r.response());
        close(conn);
        return true;
      }
    } else if (r.response().ended() || r.response().closed()) {
      if ("close".equalsIgnoreCase(r.response().headers().get("Connection"))) {
        close(conn); // answered with Connection: close: the client may still be sending a body we refused
        return true;
      } else if (t.idleSinceNanos == 0) {
        t.idleSinceNanos = now;
      } else if (over(now - t.idleSinceNanos, timeouts.idleMs())) {
        close(conn);
        return true;
      }
    }
    return false;
  }

  private void sweepSockets(long now) {
    for (Socket s : new ArrayList<>(sockets)) {
      if (s.idle() && over(now - s.lastActivityNanos(), timeouts.idleMs())) {
        sockets.remove(s);
        s.closeIdle();
      }
    }
  }

  private void close(HttpConnection conn) {
    forget(conn);
    conn.close();
  }

  private static boolean over(long elapsedNanos, long limitMs) {
    return limitMs > 0 && elapsedNanos > TimeUnit.MILLISECONDS.toNanos(limitMs);
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
