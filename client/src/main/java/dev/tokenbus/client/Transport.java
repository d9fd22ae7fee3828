package dev.tokenbus.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * How a {@link Tokenbus} reaches its gateways: {@link #WEBSOCKET} (the default) or {@link #SSE},
 * chosen with {@link TokenbusOptions#withTransport(Transport)}.
 *
 * <p>Each constant opens its own {@link Connection} for a client; a {@code Tokenbus} only ever talks
 * to that connection, so adding a transport is adding one constant and its connection class. The
 * method that opens it is package-private: applications choose a transport, they do not implement one.
 */
public enum Transport {

  /**
   * One WebSocket ({@code /v1/ws}) per client, every generation multiplexed on it, each with its
   * own credit window, so one paused stream pauses only its own generation. A stream does not
   * survive a lost connection: it ends with a {@link ConnectionException}.
   */
  WEBSOCKET {
    @Override
    Connection connect(Vertx vertx, Context context, TokenbusOptions options) {
      return new WebSocketConnection(vertx, context, options);
    }
  },

  /**
   * One Server-Sent Events request ({@code POST /v1/generate}) per generation. Backpressure is
   * TCP's: a paused stream stops reading its connection. A stream survives a lost connection when
   * the gateways keep streams for a reconnect ({@code resume-grace-ms}): it resumes through any of
   * the client's gateway URLs, without a gap or a repeat.
   */
  SSE {
    @Override
    Connection connect(Vertx vertx, Context context, TokenbusOptions options) {
      return new SseConnection(vertx, context, options);
    }
  };

  /** A client's connections over this transport, on {@code context}. */
  abstract Connection connect(Vertx vertx, Context context, TokenbusOptions options);

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
