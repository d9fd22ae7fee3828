package dev.tokenbus.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * How a {@link Tokenbus} reaches its gateways: {@link #WEBSOCKET} (the default) or {@link #SSE},
 * chosen with {@link TokenbusOptions#withTransport(Transport)}.
 *
 * <p>Each transport is one subclass that opens its own {@link Connection} for a client; a
 * {@code Tokenbus} only ever talks to that connection, so adding a transport is adding one class.
 * {@code Transport} is a sealed abstract class rather than an interface so that this machinery
 * stays inside the library: applications choose a transport, they do not implement one.
 */
public abstract sealed class Transport permits WebSocketTransport, SseTransport {

  /**
   * One WebSocket ({@code /v1/ws}) per client, every generation multiplexed on it, each with its
   * own credit window, so one paused stream pauses only its own generation. A stream does not
   * survive a lost connection: it ends with a {@link ConnectionException}.
   */
  public static final Transport WEBSOCKET = new WebSocketTransport();

  /**
   * One Server-Sent Events request ({@code POST /v1/generate}) per generation. Backpressure is
   * TCP's: a paused stream stops reading its connection. A stream survives a lost connection when
   * the gateways keep streams for a reconnect ({@code resume-grace-ms}): it resumes through any of
   * the client's gateway URLs, without a gap or a repeat.
   */
  public static final Transport SSE = new SseTransport();

  private static final List<Transport> VALUES = List.of(WEBSOCKET, SSE);

  private final String name;

  Transport(String name) {
    this.name = name;
  }

  /** A client's connections over this transport, on {@code context}. */
  abstract Connection connect(Vertx vertx, Context context, TokenbusOptions options);

  /** Every transport, the default first. */
  static List<Transport> values() {
    return VALUES;
  }

  /** {@code WEBSOCKET} or {@code SSE}, the name of its constant. */
  public String name() {
    return name;
  }

  @Override
  public String toString() {
    return name;
  }

  /** One client's connections over one transport: all a {@link Tokenbus} asks of it. */
  interface Connection {

    /**
     * Starts {@code request} (the fields of {@code POST /v1/generate}) as a generation feeding
     * {@code stream}; a refusal or a lost connection ends the stream with its exception.
     */
    void open(TokenStream stream, JsonObject request);

    /** Closes the connections; open streams end with a {@link ConnectionException}. */
    Future<Void> close();
  }
}
