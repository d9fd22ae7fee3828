package dev.tokenbus.gateway.api.generate;

import dev.tokenbus.gateway.api.GenerateParameters;
import dev.tokenbus.gateway.dispatch.StreamOwner;
import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.gateway.json.StrictJson;
import dev.tokenbus.gateway.json.WellFormedText;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.ClientLink;
import dev.tokenbus.gateway.serve.EventChannel;
import dev.tokenbus.gateway.serve.Generations;
import dev.tokenbus.gateway.serve.HttpClientLink;
import dev.tokenbus.gateway.serve.StreamEvent;
import dev.tokenbus.gateway.transport.ConnectionTimeouts;
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
import java.util.function.Consumer;

/**
 * One WebSocket with several generations multiplexed by a client-chosen id. Client frames:
 * {@code {"type":"generate","id":..., <the /v1/generate fields>}}, {@code {"type":"cancel","id":...}}
 * and {@code {"type":"credit","id":...,"n":...}}. Server frames: {@code token}, {@code done} and
 * {@code error}, each with the client's id and the same payload as SSE; an error refusing a
 * generation for a full queue also carries {@code retry_after_ms}. All generations share the
 * socket's write queue: when it is full they all pause, and the drain resumes them all; so does the
 * reading of the client's frames (see {@link #throttle}).
 *
 * <p>Per-generation flow control, for clients that multiplex: a {@code generate} frame with
 * {@code "credit": n} may receive n token frames, then its generation pauses (its tokens stop being
 * taken, so its worker's sequence pauses within its window) until {@code credit} frames grant more.
 * The other generations on the socket go on. Without {@code credit} a generation is limited by the
 * socket alone.
 *
 * <p>Each generation has a {@link ClientLink} that lets go when the client cancels it or when the
 * socket ends in any way (close frame, reset, FIN, protocol error, a failed write); what follows is
 * {@link Generations#start}'s, the same as for every other transport. A socket that runs no
 * generation and receives nothing for the idle timeout is closed with 1000 {@code idle}.
 */
public final class WebSocketSession implements ConnectionTimeouts.Socket {

  /** RFC 6455's close code for a message too big to process. */
  static final short MESSAGE_TOO_BIG = 1009;
  /** The longest generation id a client may choose. */
  static final int MAX_ID_LENGTH = 128;
  /** The most credit one generation may hold (a grant beyond it is capped). */
  static final long MAX_CREDIT = 1_000_000;

  private final ServerWebSocket socket;
  private final int maxStreams;
  private final Generations generations;
  /** Who the socket's generations belong to: the API key of its upgrade request. */
  private final StreamOwner owner;
  /** The generations of this socket by client id, from the generate frame to their end. */
  private final Map<String, Link> links = new HashMap<>();
  /** Each generation's channel, from its generate frame until it ends (credit may come while it opens). */
  private final Map<String, Channel> channels = new HashMap<>();
  private boolean closed;
  /** Reading stopped because the client does not read what it is sent: see {@link #throttle}. */
  private boolean readingPaused;
  private long lastActivityNanos = System.nanoTime();

  public WebSocketSession(ServerWebSocket socket, int maxStreams, Generations generations, StreamOwner owner,
      ConnectionTimeouts timeouts) {
    this.socket = socket;
    this.maxStreams = maxStreams;
    this.generations = generations;
    this.owner = owner;
    socket.textMessageHandler(text -> {
      onText(text);
      throttle();
    });
    socket.binaryMessageHandler(b -> {
      sendError(null, ApiError.invalid("binary frames are not supported", null, "invalid_frame"));
      throttle();
    });
    socket.drainHandler(v -> {
      if (readingPaused) {
        readingPaused = false;
        socket.resume();
      }
      new ArrayList<>(channels.values()).forEach(Channel::drainIfReady);
    });
    socket.exceptionHandler(this::onException);
    socket.closeHandler(v -> {
      timeouts.unregister(this);
      socketGone();
    });
    timeouts.register(this);
  }

  @Override
  public long lastActivityNanos() {
    return lastActivityNanos;
  }

  @Override
  public void closeIdle() {
    close((short) 1000, "idle");
  }

  /** Whether the socket runs no generation now (idle). */
  @Override
  public boolean idle() {
    return links.isEmpty();
  }

  private void socketGone() {
    if (!closed) {
      closed = true;
      new ArrayList<>(links.values()).forEach(l -> l.letGo(HttpClientLink.DISCONNECTED));
    }
  }

  /**
   * A message over the size limit arrives here, not as a message, and Vert.x drops it: a frame too
   * large for the decoder, or a compressed frame that is too large only once inflated (as browsers
   * send them). Both end the socket with 1009; otherwise the client would wait for an answer that
   * never comes (or, for the first, see a plain 1000). Any other failure of the socket ends it, and
   * with it its generations.
   */
  private void onException(Throwable err) {
    if (closed) {
      return;
    }
    if (err instanceof CorruptedWebSocketFrameException bad) {
      close((short) bad.closeStatus().code(), bad.closeStatus().reasonText());
    } else if (err instanceof IllegalStateException && String.valueOf(err.getMessage()).contains("max message size")) {
      close(MESSAGE_TOO_BIG, "message too big");
    } else {
      socketGone(); // a reset or another transport failure: the close follows, if it has not come yet
    }
  }

  /**
   * Backpressure on the client's frames: once a frame has been answered, and the socket's write
   * queue is full (the client does not read its answers), nothing more is read from the socket until
   * the queue drains. The TCP window then fills and the client's own sends block, so that a client
   * that sends without reading holds at most the write queue's worth of answers on the gateway.
   */
  private void throttle() {
    if (!closed && !readingPaused && socket.writeQueueFull()) {
      readingPaused = true;
      socket.pause();
    }
  }

  /** Closes the socket with a status, and lets go of its generations at once. */
  void close(short status, String reason) {
    if (!socket.isClosed()) {
      socket.close(status, reason);
    }
    socketGone();
  }

  private void onText(String text) {
    lastActivityNanos = System.nanoTime();
    JsonObject frame;
    try {
      StrictJson.check(text);
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      sendError(null, ApiError.of(new DecodeException(e.getMessage())));
      return;
    } catch (RequestValidationException e) { // nested too deep
      sendError(null, ApiError.of(e));
      return;
    }
    Object id = frame.getValue("id");
    if (!(id instanceof String clientId) || clientId.isEmpty()) {
      sendError(null, ApiError.invalid("every frame needs a non-empty string id", "id", "invalid_value"));
      return;
    }
    if (clientId.length() > MAX_ID_LENGTH) {
      sendError(null, ApiError.invalid("id must be at most " + MAX_ID_LENGTH + " characters, got "
          + clientId.length(), "id", "invalid_value"));
      return;
    }
    if (WellFormedText.loneSurrogate(clientId) >= 0) {
      sendError(null, ApiError.invalid("id has a lone UTF-16 surrogate", "id", "invalid_value"));
      return;
    }
    switch (String.valueOf(frame.getValue("type"))) {
      case "generate" -> generate(clientId, frame);
      case "cancel" -> {
        Link l = links.get(clientId);
        if (l != null) {
          l.letGo("cancelled by the client");
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
    long n = Fields.longInteger(frame, key, -1);
    if (n < 1) {
      throw new RequestValidationException(key, key + " must be a positive integer");
    }
    return Math.min(n, MAX_CREDIT);
  }

  private void generate(String clientId, JsonObject frame) {
    if (links.containsKey(clientId)) {
      sendError(clientId, ApiError.invalid("a generation with id " + clientId + " is running", "id", "duplicate_id"));
      return;
    }
    if (links.size() >= maxStreams) {
      sendError(clientId, ApiError.invalid("at most " + maxStreams + " generations per socket", null,
          "too_many_streams"));
      return;
    }
    GenerateParameters.Generate params;
    long credit;
    try {
      params = GenerateParameters.parse(WellFormedText.require(frame));
      credit = frame.getValue("credit") == null ? -1 : creditValue(frame, "credit");
      if (!params.stream()) {
        throw new RequestValidationException("stream", "a WebSocket generation always streams: leave stream out"
            + " or set it to true");
      }
    } catch (RuntimeException e) {
      sendError(clientId, ApiError.of(e));
      return;
    }
    Link link = new Link(clientId);
    links.put(clientId, link);
    Channel channel = new Channel(clientId, credit);
    channels.put(clientId, channel);
    generations.serve(link, owner, params.toRequest(generations.newId()), params.model(),
        (stream, served) -> channel).onComplete(v -> {
          links.remove(clientId, link);
          channels.remove(clientId, channel);
          lastActivityNanos = System.nanoTime();
        });
  }

  private void sendError(String clientId, ApiError error) {
    sendError(clientId, error, -1);
  }

  /**
   * An error frame refusing a frame or a generation, with the {@code status} HTTP would have answered
   * (an error ending a running generation has none, as over SSE); with {@code retryAfterSeconds} >= 0
   * it carries {@code retry_after_ms}, as HTTP's 429 carries {@code Retry-After}.
   */
  private void sendError(String clientId, ApiError error, long retryAfterSeconds) {
    if (!closed) {
      JsonObject frame = new JsonObject().put("type", "error").put("id", clientId).put("status", error.status())
          .put("error", error.body());
      if (retryAfterSeconds >= 0) {
        frame.put("retry_after_ms", retryAfterSeconds * 1000);
      }
      socket.writeTextMessage(frame.encode());
    }
  }

  /** One generation's hold: it lets go on the client's cancel or when the socket ends. */
  private final class Link implements ClientLink {
    private final String clientId;
    private String abandoned;
    private Consumer<String> handler;
    private long retryAfterSeconds = -1;

    Link(String clientId) {
      this.clientId = clientId;
    }

    void letGo(String reason) {
      if (abandoned == null) {
        abandoned = reason;
        if (handler != null) {
          handler.accept(reason);
        }
      }
    }

    @Override
    public String abandoned() {
      if (abandoned == null && closed) {
        letGo(HttpClientLink.DISCONNECTED);
      }
      return abandoned;
    }

    @Override
    public void onAbandoned(Consumer<String> h) {
      handler = h;
      if (abandoned != null) {
        h.accept(abandoned);
      } else {
        abandoned();
      }
    }

    @Override
    public void retryAfter(long seconds) {
      retryAfterSeconds = seconds;
    }

    @Override
    public void refuse(ApiError error) {
      sendError(clientId, error, retryAfterSeconds);
    }

    @Override
    public void transportFailed() {
      socketGone(); // a write on the socket failed: it is of no use to any generation on it
    }
  }

  /** One generation's view of the shared socket, with its own credit when the client asked for it. */
  private final class Channel implements EventChannel {
    private final String clientId;
    /** Token frames this generation may still send; -1: not credited (the socket alone limits it). */
    private long credit;
    /** Whether the generation's final token went out. */
    private boolean finalSent;
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
    public Future<Void> send(StreamEvent event) {
      if (closed) {
        return Future.failedFuture("the socket is closed");
      }
      if (event instanceof StreamEvent.Token t) {
        finalSent |= t.token().isFinal();
        if (credit > 0) {
          credit--;
        }
      }
      JsonObject frame = new JsonObject().put("type", TokenJson.name(event)).put("id", clientId);
      if (event instanceof StreamEvent.Failed) {
        frame.put("error", TokenJson.payload(event));
      } else {
        frame.mergeIn(TokenJson.payload(event));
      }
      return socket.writeTextMessage(frame.encode());
    }

    /**
     * Out of credit, or the socket is. After the final token only the end is left, which costs no
     * credit: a client with no token left to take would never grant more, so credit no longer holds it.
     */
    @Override
    public boolean writeQueueFull() {
      return (credit == 0 && !finalSent) || socket.writeQueueFull();
    }

    @Override
    public void drainHandler(Handler<Void> handler) {
      drainWaiter = handler;
    }

    @Override
    public void close() {}
  }
}
