package dev.tokenbus.http;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.RequestValidationException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * One WebSocket with several generations multiplexed by a client-chosen id. Client frames:
 * {@code {"type":"generate","id":..., <the /v1/generate fields>}}, {@code {"type":"cancel","id":...}}
 * and {@code {"type":"credit","id":...,"n":...}}. Server frames: {@code token}, {@code done} and
 * {@code error}, each with the client's id and the same payload as SSE. All generations share the
 * socket's write queue: when it is full they all pause, and the drain resumes them all.
 *
 * <p>Per-generation flow control, for clients that multiplex: a {@code generate} frame with
 * {@code "credit": n} may receive n token frames, then its generation pauses (its tokens stop being
 * taken, so its worker's sequence pauses within its window) until {@code credit} frames grant more.
 * The other generations on the socket go on. Without {@code credit} a generation is limited by the
 * socket alone, as before.
 */
final class WebSocketSession {

  /** RFC 6455's close code for a message too big to process. */
  static final short MESSAGE_TOO_BIG = 1009;
  /** The most credit one generation may hold (a grant beyond it is capped). */
  static final long MAX_CREDIT = 1_000_000;

  private final ServerWebSocket socket;
  private final int maxStreams;
  private final Function<GenerateParameters.Generate, Opened> opener;
  /** Generations by client id; null while one is being opened. */
  private final Map<String, TokenStream> streams = new HashMap<>();
  private final java.util.Set<String> cancelledWhileOpening = new java.util.HashSet<>();
  /** Each generation's channel, from its generate frame until its relay completes. */
  private final Map<String, Channel> channels = new HashMap<>();
  private final Map<String, Handler<Void>> goneHandlers = new HashMap<>();
  private boolean closed;

  /** A generation being opened, and the observer that will watch it. */
  record Opened(Future<TokenStream> stream, RequestObserver observer) {}

  /**
   * @param opener starts a generation for parsed parameters
   */
  WebSocketSession(ServerWebSocket socket, int maxStreams, Function<GenerateParameters.Generate, Opened> opener) {
    this.socket = socket;
    this.maxStreams = maxStreams;
    this.opener = opener;
    socket.textMessageHandler(this::onText);
    socket.binaryMessageHandler(b -> sendError(null, ApiError.invalid("binary frames are not supported", null,
        "invalid_frame")));
    socket.drainHandler(v -> new ArrayList<>(channels.values()).forEach(Channel::drainIfReady));
    socket.exceptionHandler(this::onException);
    socket.closeHandler(v -> {
      closed = true;
      new ArrayList<>(goneHandlers.values()).forEach(h -> h.handle(null));
    });
  }

  /**
   * A message over the size limit arrives here, not as a message, and Vert.x drops it: a frame too
   * large for the decoder, or a compressed frame that is too large only once inflated (as browsers
   * send them). Both end the socket with 1009; otherwise the client would wait for an answer that
   * never comes (or, for the first, see a plain 1000).
   */
  private void onException(Throwable err) {
    if (closed) {
      return;
    }
    if (err instanceof CorruptedWebSocketFrameException bad) {
      socket.close((short) bad.closeStatus().code(), bad.closeStatus().reasonText());
    } else if (err instanceof IllegalStateException && String.valueOf(err.getMessage()).contains("max message size")) {
      socket.close(MESSAGE_TOO_BIG, "message too big");
    }
  }

  private void onText(String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      sendError(null, ApiError.of(new DecodeException(e.getMessage())));
      return;
    }
    Object id = frame.getValue("id");
    if (!(id instanceof String clientId) || clientId.isEmpty()) {
      sendError(null, ApiError.invalid("every frame needs a non-empty string id", "id", "invalid_value"));
      return;
    }
    switch (String.valueOf(frame.getValue("type"))) {
      case "generate" -> generate(clientId, frame);
      case "cancel" -> {
        TokenStream s = streams.get(clientId);
        if (s != null) {
          s.cancel("cancelled by the client");
        } else if (streams.containsKey(clientId)) {
          cancelledWhileOpening.add(clientId); // applied as soon as the generation is open
        }
      }
      case "credit" -> credit(clientId, frame);
      default -> sendError(clientId, ApiError.invalid("type must be generate, cancel or credit", "type",
          "invalid_value"));
    }
  }

  /** More tokens a credited generation may receive; for a generation that ended already, nothing. */
  private void credit(String clientId, JsonObject frame) {
    long n;
    try {
      n = creditValue(frame, "n");
    } catch (RuntimeException e) {
      sendError(clientId, ApiError.of(e));
      return;
    }
    Channel channel = channels.get(clientId);
    if (channel != null) {
      channel.grant(n);
    }
  }

  /** A positive integer field (at most {@link #MAX_CREDIT}), or a validation error naming it. */
  private static long creditValue(JsonObject frame, String key) {
    long n = GenerateParameters.longInteger(frame, key, -1);
    if (n < 1) {
      throw new RequestValidationException(key, key + " must be a positive integer");
    }
    return Math.min(n, MAX_CREDIT);
  }

  private void generate(String clientId, JsonObject frame) {
    if (streams.containsKey(clientId)) {
      sendError(clientId, ApiError.invalid("a generation with id " + clientId + " is running", "id", "duplicate_id"));
      return;
    }
    if (streams.size() >= maxStreams) {
      sendError(clientId, ApiError.invalid("at most " + maxStreams + " generations per socket", null,
          "too_many_streams"));
      return;
    }
    GenerateParameters.Generate params;
    long credit;
    try {
      params = GenerateParameters.parse(frame);
      credit = frame.getValue("credit") == null ? -1 : creditValue(frame, "credit");
    } catch (RuntimeException e) {
      sendError(clientId, ApiError.of(e));
      return;
    }
    streams.put(clientId, null); // reserve the id while opening
    Channel channel = new Channel(clientId, credit);
    channels.put(clientId, channel); // credit frames may come while it opens
    Opened opened = opener.apply(params);
    opened.stream().onComplete(ar -> {
      if (ar.failed()) {
        streams.remove(clientId);
        channels.remove(clientId);
        ApiError error = ApiError.of(ar.cause());
        opened.observer().onError(null, error.code() != null ? error.code() : error.type(), error.status());
        sendError(clientId, error);
        return;
      }
      TokenStream stream = ar.result();
      if (closed || cancelledWhileOpening.remove(clientId)) {
        stream.cancel(closed ? "client disconnected" : "cancelled by the client");
        streams.remove(clientId);
        channels.remove(clientId);
        if (!closed) {
          sendError(clientId, new ApiError(499, "cancelled", "cancelled by the client", null, "cancelled"));
        }
        return;
      }
      streams.put(clientId, stream);
      StreamRelay.relay(stream, channel, opened.observer()).onComplete(v -> {
        streams.remove(clientId);
        channels.remove(clientId);
        goneHandlers.remove(clientId);
      });
    });
  }

  private void sendError(String clientId, ApiError error) {
    if (!closed) {
      socket.writeTextMessage(new JsonObject().put("type", "error").put("id", clientId).put("error", error.body())
          .encode());
    }
  }

  /** One generation's view of the shared socket, with its own credit when the client asked for it. */
  private final class Channel implements EventChannel {
    private final String clientId;
    /** Token frames this generation may still send; -1: not credited (the socket alone limits it). */
    private long credit;
    private Handler<Void> drainWaiter;

    Channel(String clientId, long credit) {
      this.clientId = clientId;
      this.credit = credit;
    }

    void grant(long n) {
      if (credit >= 0) {
        credit = Math.min(MAX_CREDIT, credit + n);
        drainIfReady();
      }
    }

    /** Wakes the relay waiting on this channel, if it can send again. */
    void drainIfReady() {
      if (drainWaiter != null && !writeQueueFull()) {
        Handler<Void> waiter = drainWaiter;
        drainWaiter = null;
        waiter.handle(null);
      }
    }

    @Override
    public Future<Void> send(String event, String eventId, JsonObject payload) {
      if (closed) {
        return Future.failedFuture("the socket is closed");
      }
      if (credit > 0 && "token".equals(event)) {
        credit--;
      }
      JsonObject frame = new JsonObject().put("type", event).put("id", clientId);
      if ("error".equals(event)) {
        frame.put("error", payload);
      } else {
        frame.mergeIn(payload);
      }
      return socket.writeTextMessage(frame.encode());
    }

    @Override
    public boolean writeQueueFull() {
      return credit == 0 || socket.writeQueueFull();
    }

    @Override
    public void drainHandler(Handler<Void> handler) {
      drainWaiter = handler;
    }

    @Override
    public void close() {}

    @Override
    public void onClientGone(Handler<Void> handler) {
      goneHandlers.put(clientId, handler);
    }
  }
}
