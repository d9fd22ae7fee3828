package dev.tokenbus.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Generations multiplexed on WebSockets ({@code /v1/ws}), each under its own id and with its own
 * credit: the {@code generate} frame asks for {@code credit: bufferSize}, and each
 * {@link TokenStream.Leg#grant} sends a {@code credit} frame. A socket is never paused, so a stream
 * that is not read stops only its own generation. One socket carries up to
 * {@link TokenbusOptions#maxStreamsPerSocket()} generations (the gateway's limit); more open another.
 * Sockets open on first use and again after one is lost; a stream on a lost socket ends with a
 * {@link ConnectionException} (WebSocket generations are not kept for a reconnect). All state lives
 * on one context.
 */
final class WebSocketConnection implements Transport.Connection {

  private final Context context;
  private final WebSocketClient client;
  private final List<URI> gateways;
  private final String apiKey;
  private final long connectTimeoutMs;
  private final int maxStreamsPerSocket;
  private final List<Socket> sockets = new ArrayList<>();
  private long nextId;
  private boolean closed;

  WebSocketConnection(Vertx vertx, Context context, TokenbusOptions options) {
    this.context = context;
    this.gateways = options.gateways();
    this.apiKey = options.apiKey();
    this.connectTimeoutMs = options.connectTimeoutMs();
    this.maxStreamsPerSocket = options.maxStreamsPerSocket();
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.connectTimeoutMs()))
        .setMaxMessageSize(16 * 1024 * 1024).setMaxFrameSize(16 * 1024 * 1024));
  }

  @Override
  public void open(TokenStream stream, JsonObject request) {
    context.runOnContext(v -> {
      if (closed) {
        stream.fail(Errors.connection("the client is closed", null));
        return;
      }
      Socket socket = null;
      for (Socket s : sockets) {
        if (s.streams.size() < maxStreamsPerSocket) {
          socket = s;
          break;
        }
      }
      if (socket == null) {
        socket = new Socket();
        sockets.add(socket);
      }
      socket.open(stream, request);
    });
  }

  /** Closes the sockets; open streams end with a {@link ConnectionException}. */
  @Override
  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      closed = true;
      List<Future<Void>> closing = new ArrayList<>();
      for (Socket s : new ArrayList<>(sockets)) {
        s.failAll(Errors.connection("the client is closed", null));
        if (s.ws.succeeded()) {
          closing.add(s.ws.result().close());
        }
      }
      sockets.clear();
      Future.join(closing).transform(x -> client.close()).onComplete(x -> done.complete());
    });
    return done.future();
  }

  private static TokenbusException refused(UpgradeRejectedException e) {
    JsonObject error = null;
    try {
      error = e.getBody() == null ? null : e.getBody().toJsonObject().getJsonObject("error");
    } catch (RuntimeException ignored) {
      // not JSON: the status alone says what happened
    }
    return Errors.of(error, e.getStatus(),
        Errors.seconds(e.getHeaders() == null ? null : e.getHeaders().get("Retry-After")));
  }

  /**
   * An error frame's exception: a refusal carries the {@code status} HTTP would have answered and,
   * for a full queue, {@code retry_after_ms}; an error ending a running generation carries neither.
   */
  private static TokenbusException refusal(JsonObject frame) {
    Object status = frame.getValue("status");
    Object retryAfter = frame.getValue("retry_after_ms");
    return Errors.of(frame.getJsonObject("error"), status instanceof Integer n ? n : 0,
        retryAfter instanceof Number ms ? Duration.ofMillis(ms.longValue()) : null);
  }

  /** One WebSocket and the generations on it. */
  private final class Socket {
    private final Map<String, TokenStream> streams = new HashMap<>();
    private final Future<WebSocket> ws;
    private URI connectedTo;

    Socket() {
      Promise<WebSocket> p = Promise.promise();
      ws = p.future();
      connect(0, p, null);
    }

    void open(TokenStream stream, JsonObject request) {
      String id = "g" + nextId++;
      streams.put(id, stream);
      stream.attach(new Leg(this, id));
      ws.onComplete(ar -> {
        if (streams.get(id) != stream) {
          return; // cancelled while connecting
        }
        if (ar.failed()) {
          streams.remove(id);
          stream.fail(ar.cause() instanceof TokenbusException e ? e
              : Errors.connection("could not connect to " + gateways + ": " + ar.cause().getMessage(), ar.cause()));
          return;
        }
        ar.result().writeTextMessage(request.copy().put("type", "generate").put("id", id)
            .put("credit", stream.window()).encode());
      });
    }

    /** Connects to the first gateway that accepts. */
    private void connect(int i, Promise<WebSocket> p, Throwable last) {
      if (i == gateways.size()) {
        sockets.remove(this);
        p.fail(Errors.connection("could not open a WebSocket to any of " + gateways
            + (last != null ? ": " + last.getMessage() : ""), last));
        return;
      }
      URI base = gateways.get(i);
      URI uri = URI.create(("https".equals(base.getScheme()) ? "wss" : "ws") + base.toString()
          .substring(base.getScheme().length())).resolve("v1/ws");
      WebSocketConnectOptions o = new WebSocketConnectOptions().setAbsoluteURI(uri.toString())
          .setTimeout(connectTimeoutMs);
      if (apiKey != null) {
        o.addHeader("Authorization", "Bearer " + apiKey);
      }
      client.connect(o).onComplete(ar -> {
        if (ar.succeeded()) {
          WebSocket s = ar.result();
          connectedTo = base;
          s.textMessageHandler(this::onMessage);
          s.closeHandler(v -> {
            sockets.remove(this);
            failAll(Errors.connection("the WebSocket to " + connectedTo + " closed", null));
          });
          s.exceptionHandler(e -> { }); // the close that follows ends the streams
          p.complete(s);
        } else if (ar.cause() instanceof UpgradeRejectedException rejected) {
          sockets.remove(this);
          p.fail(refused(rejected));
        } else {
          connect(i + 1, p, ar.cause());
        }
      });
    }

    private void onMessage(String text) {
      JsonObject f;
      try {
        f = new JsonObject(text);
      } catch (DecodeException e) {
        failAll(Errors.protocol("the gateway sent a frame that is not JSON", e));
        return;
      }
      Object idValue = f.getValue("id");
      TokenStream s = idValue instanceof String id ? streams.get(id) : null;
      if (s == null) {
        if (idValue == null && "error".equals(f.getValue("type"))) {
          // about no generation: this client sent something wrong
          failAll(refusal(f));
        }
        return; // a generation that ended or was cancelled: late frames are expected
      }
      String id = (String) idValue;
      try {
        switch (String.valueOf(f.getValue("type"))) {
          case "token" -> s.onToken(Wire.token(f));
          case "done" -> {
            ended(id);
            s.onDone(Wire.done(f));
          }
          case "error" -> {
            ended(id);
            s.fail(refusal(f));
          }
          default -> { } // a frame type of a newer gateway
        }
      } catch (ProtocolException e) {
        ended(id);
        s.fail(e);
        send(new JsonObject().put("type", "cancel").put("id", id));
      }
    }

    /** A generation is over; a socket left idle beside another one is closed. */
    private void ended(String id) {
      streams.remove(id);
      if (streams.isEmpty() && sockets.size() > 1 && ws.succeeded()) {
        sockets.remove(this);
        ws.result().close();
      }
    }

    private void failAll(TokenbusException e) {
      List<TokenStream> all = new ArrayList<>(streams.values());
      streams.clear();
      all.forEach(s -> s.fail(e));
    }

    private void send(JsonObject frame) {
      if (ws.succeeded()) {
        ws.result().writeTextMessage(frame.encode());
      }
    }
  }

  /** One generation on a socket. */
  private final class Leg implements TokenStream.Leg {
    private final Socket socket;
    private final String id;

    Leg(Socket socket, String id) {
      this.socket = socket;
      this.id = id;
    }

    @Override
    public void grant(int n) {
      context.runOnContext(v -> {
        if (socket.streams.containsKey(id)) {
          socket.send(new JsonObject().put("type", "credit").put("id", id).put("n", n));
        }
      });
    }

    @Override
    public void cancel() {
      context.runOnContext(v -> {
        if (socket.streams.containsKey(id)) {
          socket.send(new JsonObject().put("type", "cancel").put("id", id));
          socket.ended(id);
        }
      });
    }
  }
}
