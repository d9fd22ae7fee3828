package dev.tokenbus.gateway.serve;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.gateway.dispatch.Dispatcher;
import dev.tokenbus.gateway.dispatch.QueueFullException;
import dev.tokenbus.gateway.dispatch.StreamOwner;
import dev.tokenbus.metrics.TokenbusMetrics;
import dev.tokenbus.protocol.GenerationRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * The one path from an HTTP request to a relayed generation, shared by every route that
 * generates ({@code /v1/generate}, the OpenAI routes): open the generation on a worker (waiting in
 * the admission queue if need be), answer a refusal with its status, and relay the stream into the
 * channel the route chooses. Routes differ only in how they parse and in their channel.
 */
public final class Generations {

  /** What a route makes of an opened stream: the channel its events go into. */
  @FunctionalInterface
  public interface Channels {
    /**
     * @param servedModel the model name the worker serves (the request's, or the worker's when the
     *     request named none)
     */
    EventChannel open(TokenStream stream, String servedModel);
  }

  /** Names a stream in a response, and in a request that resumes it. */
  public static final String STREAM_ID_HEADER = "X-Tokenbus-Stream-Id";

  private final Vertx vertx;
  private final Dispatcher dispatcher;
  private final TokenbusMetrics metrics;
  private final long sseKeepAliveMs;
  private final int writeQueueBytes;

  /**
   * @param sseKeepAliveMs an SSE stream with nothing to send for this long gets a comment line
   * @param writeQueueBytes bytes a response may buffer before it counts as full; 0: Vert.x's default
   */
  public Generations(Vertx vertx, Dispatcher dispatcher, TokenbusMetrics metrics, long sseKeepAliveMs,
      int writeQueueBytes) {
    this.vertx = vertx;
    this.dispatcher = dispatcher;
    this.metrics = metrics;
    this.sseKeepAliveMs = sseKeepAliveMs;
    this.writeQueueBytes = writeQueueBytes;
  }

  public Dispatcher dispatcher() {
    return dispatcher;
  }

  /** The node's metrics, for the routes that answer outside a stream. */
  public TokenbusMetrics metrics() {
    return metrics;
  }

  /** A fresh stream id. */
  public String newId() {
    return dispatcher.newStreamId();
  }

  /**
   * Opens {@code request} for {@code model} (null: any), as a stream of {@code owner}'s, and relays
   * it into the route's channel.
   */
  public void serve(RoutingContext ctx, StreamOwner owner, GenerationRequest request, String model, Channels channels) {
    serve(ctx, owner, request, model, channels, false);
  }

  /**
   * As {@link #serve(RoutingContext, StreamOwner, GenerationRequest, String, Channels)}.
   *
   * @param resumable a client that goes away leaves the stream parked for {@link #resume}, when the
   *     gateway keeps streams for a reconnect (resume-grace-ms); else it cancels the stream
   */
  public void serve(RoutingContext ctx, StreamOwner owner, GenerationRequest request, String model,
      Channels channels, boolean resumable) {
    dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.BODY_READ);
    ctx.response().putHeader(STREAM_ID_HEADER, request.id());
    start(new HttpClientLink(ctx.response(), ApiError.Shape.of(ctx)), new RequestObserver(metrics, request.id(), model),
        dispatcher.generate(request, model, owner), model, channels, resumable);
  }

  /**
   * As {@link #serve(RoutingContext, StreamOwner, GenerationRequest, String, Channels)}, for a client on another
   * transport, whose streams belong to {@code owner}.
   */
  public Future<Void> serve(ClientLink link, StreamOwner owner, GenerationRequest request, String model,
      Channels channels) {
    return start(link, new RequestObserver(metrics, request.id(), model), dispatcher.generate(request, model, owner),
        model, channels, false);
  }

  /**
   * Goes on with a stream whose client reconnected after event {@code lastIndex}, as SSE: only
   * {@code owner}'s, only once its first client went away.
   */
  public void resume(RoutingContext ctx, StreamOwner owner, String streamId, int lastIndex, Channels channels) {
    ctx.response().putHeader(STREAM_ID_HEADER, streamId);
    start(new HttpClientLink(ctx.response(), ApiError.Shape.of(ctx)), new RequestObserver(metrics, streamId, null),
        dispatcher.resume(streamId, lastIndex, owner), null, channels, true);
  }

  /**
   * The one path from an opening generation to its end, for every transport: while the request
   * waits for a slot, a client that lets go withdraws it from the queue; once it is open, the
   * relay cancels it (or parks it) the moment the client lets go. A refusal is answered through the
   * link and counted.
   *
   * @return completes when the generation is over for this client (refused, withdrawn or relayed to its end)
   */
  Future<Void> start(ClientLink link, RequestObserver observer, Future<TokenStream> opened, String model,
      Channels channels, boolean resumable) {
    String sid = observer.streamId();
    link.onAbandoned(reason -> dispatcher.withdraw(sid, reason));
    return opened.transform(ar -> {
      if (ar.failed()) {
        if (ar.cause() instanceof QueueFullException full) {
          link.retryAfter(full.retryAfterSeconds());
        }
        refuse(link, observer, ApiError.of(ar.cause()));
        return Future.<Void>succeededFuture();
      }
      TokenStream stream = ar.result();
      String abandoned = link.abandoned();
      if (abandoned != null) {
        stream.cancel(abandoned);
        refuse(link, observer, ApiError.of(stream.result().cause()));
        return Future.<Void>succeededFuture();
      }
      String served = model != null ? model : dispatcher.registry().modelOf(stream.workerEndpoint());
      EventChannel channel;
      try {
        channel = channels.open(stream, served);
      } catch (RuntimeException e) {
        stream.cancel("the gateway could not open the channel: " + e);
        refuse(link, observer, ApiError.of(e));
        return Future.<Void>succeededFuture();
      }
      return StreamRelay.relay(stream, channel, observer, link,
          resumable && dispatcher.keepsStreamsForReconnect() ? dispatcher::park : null);
    });
  }

  /** Answers a request that failed before it could be opened (a bad body), counting it. */
  public void refuse(RoutingContext ctx, String id, String model, Throwable cause) {
    refuse(ctx, new RequestObserver(metrics, id, model), ApiError.of(cause));
  }

  private static void refuse(RoutingContext ctx, RequestObserver observer, ApiError e) {
    refuse(new HttpClientLink(ctx.response(), ApiError.Shape.of(ctx)), observer, e);
  }

  private static void refuse(ClientLink link, RequestObserver observer, ApiError e) {
    observer.onError(null, e.code() != null ? e.code() : e.type(), e.status());
    link.refuse(e);
  }

  /** An SSE channel on the request's response, with the gateway's keep-alive and buffer settings. */
  public SseChannel sse(RoutingContext ctx) {
    return sse(ctx, SseChannel.KEEP_ALIVE_COMMENT);
  }

  /**
   * As {@link #sse(RoutingContext)}, keeping the stream alive with {@code keepAlive} (whole SSE
   * lines, such as an API's ping event) instead of a comment line.
   */
  public SseChannel sse(RoutingContext ctx, String keepAlive) {
    return new SseChannel(vertx, ctx.response(), sseKeepAliveMs, writeQueueBytes, keepAlive);
  }
}
