package dev.tokenbus.http;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.GenerationRequest;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One WebSocket with several generations multiplexed by a client-chosen id. Client frames:
 * {@code {"type":"generate","id":..., <the /v1/generate fields>}} and {@code {"type":"cancel","id":...}}.
 * Server frames: {@code token}, {@code done} and {@code error}, each with the client's id and the
 * same payload as SSE. All generations share the socket's write queue: when it is full they all
 * pause, and the drain resumes them all.
 */
final class WebSocketSession {

  /** RFC 6455's close code for a message too big to process. */
  static final short MESSAGE_TOO_BIG = 1009;

  private final ServerWebSocket socket;
  private final int maxStreams;
  private final Function<GenerateParameters.Generate, Opened> opener;
  /** Generations by client id; null while one is being opened. */
  private final Map<String, TokenStream> streams = new HashMap<>();
  private final java.util.Set<String> cancelledWhileOpening = new java.util.HashSet<>();
  private final List<Handler<Void>> drainWaiters = new ArrayList<>();
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
    socket.drainHandler(v -> {
      List<Handler<Void>> waiting = new ArrayList<>(drainWaiters);
      drainWaiters.clear();
      waiting.forEach(h -> h.handle(null));
    });
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
      default -> sendError(clientId, ApiError.invalid("type must be generate or cancel", "type", "invalid_value"));
    }
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
    try {
      params = GenerateParameters.parse(frame);
    } catch (RuntimeException e) {
      sendError(clientId, ApiError.of(e));
      return;
    }
    streams.put(clientId, null); // reserve the id while opening
    Opened opened = opener.apply(params);
    opened.stream().onComplete(ar -> {
      if (ar.failed()) {
        streams.remove(clientId);
        ApiError error = ApiError.of(ar.cause());
        opened.observer().onError(null, error.code() != null ? error.code() : error.type(), error.status());
        sendError(clientId, error);
        return;
      }
      TokenStream stream = ar.result();
      if (closed || cancelledWhileOpening.remove(clientId)) {
        stream.cancel(closed ? "client disconnected" : "cancelled by the client");
        streams.remove(clientId);
        if (!closed) {
          sendError(clientId, new ApiError(499, "cancelled", "cancelled by the client", null, "cancelled"));
        }
        return;
      }
      streams.put(clientId, stream);
      StreamRelay.relay(stream, new Channel(clientId), opened.observer()).onComplete(v -> {
        streams.remove(clientId);
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

  /** One generation's view of the shared socket. */
  private final class Channel implements EventChannel {
    private final String clientId;

    Channel(String clientId) {
      this.clientId = clientId;
    }

    @Override
    public Future<Void> send(String event, String eventId, JsonObject payload) {
      if (closed) {
        return Future.failedFuture("the socket is closed");
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
      return socket.writeQueueFull();
    }

    @Override
    public void drainHandler(Handler<Void> handler) {
      drainWaiters.add(handler);
    }

    @Override
    public void close() {}

    @Override
    public void onClientGone(Handler<Void> handler) {
      goneHandlers.put(clientId, handler);
    }
  }
}
