package dev.tokenbus.gateway;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.Drain;
import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.gateway.api.ApiKeys;
import dev.tokenbus.gateway.api.GenerateParameters;
import dev.tokenbus.gateway.api.chatpage.ChatPageRoutes;
import dev.tokenbus.gateway.api.generate.CollectingChannel;
import dev.tokenbus.gateway.api.generate.NativeSseChannel;
import dev.tokenbus.gateway.api.generate.WebSocketSession;
import dev.tokenbus.gateway.api.openai.OpenAiRoutes;
import dev.tokenbus.gateway.api.ops.OpsRoutes;
import dev.tokenbus.gateway.api.tokenize.TokenizeRoutes;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.gateway.dispatch.Dispatcher;
import dev.tokenbus.gateway.dispatch.StreamIds;
import dev.tokenbus.gateway.dispatch.StreamNotFoundException;
import dev.tokenbus.gateway.dispatch.StreamOwner;
import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.Generations;
import dev.tokenbus.gateway.transport.ConnectionTimeouts;
import dev.tokenbus.gateway.transport.ProtocolErrors;
import dev.tokenbus.gateway.transport.StrictWebSocketFrames;
import dev.tokenbus.gateway.transport.WebSocketHandshakes;
import dev.tokenbus.metrics.TokenbusMetrics;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.WorkerStatus;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP surface of a gateway: {@code POST /v1/generate} (SSE, or one JSON object), the
 * {@code /v1/ws} WebSocket, OpenAI's routes ({@link OpenAiRoutes}), {@code GET /v1/status},
 * {@code GET /health} and the web chat page at {@code /} ({@link ChatPageRoutes}). Generations go to
 * workers through a {@link Dispatcher}; every transport is fed by the same {@link StreamRelay}.
 */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  /** The most stack frames logged per exception of an unhandled failure. */
  private static final int LOGGED_FRAMES = 24;
  /** Names a stream in a response, and in a request that resumes it. */
  static final String STREAM_ID_HEADER = Generations.STREAM_ID_HEADER;

  private final GatewayOptions options;
  private final DispatchOptions clientOptions;
  private final ClusterMembership membership;
  private final TokenbusMetrics metrics;
  private final OpsRoutes ops;
  private Dispatcher client;
  private Generations generations;
  private HttpServer server;
  private ConnectionTimeouts timeouts;
  private volatile boolean draining;

  /**
   * @param ops the node's operations routes, mounted on this gateway's router; the gateway adds
   *     its own readiness condition (at least one known worker reachable)
   */
  public GatewayVerticle(GatewayOptions options, DispatchOptions clientOptions, ClusterMembership membership,
      TokenbusMetrics metrics, OpsRoutes ops) {
    this.options = options;
    this.clientOptions = clientOptions;
    this.membership = membership;
    this.metrics = metrics;
    this.ops = ops;
  }

  /** A gateway on a cluster node, with the node's metrics and its own operations routes. */
  public static GatewayVerticle forNode(ClusterNode node, GatewayOptions options, DispatchOptions clientOptions) {
    return new GatewayVerticle(options, clientOptions, node.membership(), node.metrics(), new OpsRoutes(node.vertx()));
  }

  /** The port the server listens on (useful with port 0). */
  public int port() {
    return server.actualPort();
  }

  public Dispatcher client() {
    return client;
  }

  @Override
  public Future<?> start() {
    return Dispatcher.create(vertx, membership, clientOptions).compose(c -> {
      client = c;
      generations = new Generations(vertx, c, metrics, options.keepAliveMs(), options.writeQueueBytes());
      metrics.expectErrors(ApiError.COMMON_CODES);
      HttpServerOptions http = new HttpServerOptions().setHost(options.host()).setPort(options.port())
          .setMaxWebSocketFrameSize(options.bodyLimitBytes()).setMaxWebSocketMessageSize(options.bodyLimitBytes())
          // curl -d labels JSON as a form: Vert.x then decodes it as one too, within limits of its own
          // (8 KiB an attribute, 1 KiB buffered) that must not refuse a body the body limit allows.
          .setMaxFormAttributeSize(options.bodyLimitBytes()).setMaxFormBufferedBytes(options.bodyLimitBytes())
          // HTTP/1.1 only on cleartext: with h2c detection Vert.x sees a connection only once its first
          // request is whole, so a connection that sends nothing, or drips its headers, could not be timed.
          .setHttp2ClearTextEnabled(false);
      if (options.sendBufferBytes() > 0) {
        http.setSendBufferSize(options.sendBufferBytes());
      }
      timeouts = new ConnectionTimeouts(vertx, options.timeouts());
      Router router = router();
      server = vertx.createHttpServer(http)
          .requestHandler(request -> {
            timeouts.request(request);
            router.handle(request);
          })
          .invalidRequestHandler(ProtocolErrors::invalidRequest)
          .connectionHandler(connection -> {
            ProtocolErrors.guardVersions(connection);
            timeouts.connected(connection);
          });
      return server.listen();
    }).onSuccess(s -> LOG.info("gateway listening on http://{}:{}", options.host(), s.actualPort()));
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.route().failureHandler(ProtocolErrors::onFailure);
    if (dev.tokenbus.trace.FirstTokenTrace.ENABLED) {
      router.route().order(-1).handler(ctx -> {
        dev.tokenbus.trace.FirstTokenTrace.begin();
        ctx.next();
      });
    }
    ops.readyWhen("workers", () -> draining ? "shutting down" : client.registry().notReady());
    ops.mount(router, metrics);
    if (!options.apiKeys().isEmpty()) {
      router.route("/v1/*").handler(new ApiKeys(options.apiKeys())); // /health, /ready and /metrics stay open
    }
    router.get("/v1/status").handler(this::status);
    router.get("/v1/ws").handler(this::webSocket);
    ChatPageRoutes.mount(router);
    // No file uploads: JSON bodies only, and no file-uploads/ directory in the working directory.
    BodyHandler body = BodyHandler.create(false).setBodyLimit(options.bodyLimitBytes());
    router.post("/v1/generate").handler(body).handler(this::generate);
    new OpenAiRoutes(generations).mount(router, body);
    new TokenizeRoutes(generations).mount(router, body);
    router.get("/v1/streams/:id").handler(ctx -> resume(ctx, ctx.pathParam("id")));
    router.delete("/v1/streams/:id").handler(ctx -> cancelStream(ctx, ctx.pathParam("id")));
    router.errorHandler(413, ctx -> {
      // The rest of the body may still be on its way: the connection closes once it is refused.
      ctx.response().putHeader("Connection", "close");
      error(ctx, ApiError.tooLarge(options.bodyLimitBytes()));
    });
    router.errorHandler(404, ctx -> error(ctx, ApiError.notFound("no route for " + ctx.request().path())));
    router.errorHandler(405, ctx -> error(ctx, ApiError.methodNotAllowed(ctx.request().method().name())));
    router.errorHandler(400, ctx -> error(ctx, ApiError.invalid(ctx.failure() != null
        && ctx.failure().getMessage() != null ? ctx.failure().getMessage() : "the request could not be read",
        null, "invalid_request")));
    router.errorHandler(500, ctx -> {
      LOG.error("unhandled failure on {}", ctx.request().path(), brief(ctx.failure()));
      error(ctx, ApiError.of(ctx.failure() != null ? ctx.failure() : new IllegalStateException()));
    });
    return router;
  }

  /**
   * {@code failure} with its stack traces cut to their top {@value #LOGGED_FRAMES} frames, for the
   * log: a deep recursion's thousand frames per request would flood it.
   */
  private static Throwable brief(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      StackTraceElement[] frames = t.getStackTrace();
      if (frames.length > LOGGED_FRAMES) {
        t.setStackTrace(java.util.Arrays.copyOf(frames, LOGGED_FRAMES));
      }
    }
    return failure;
  }

  private void generate(RoutingContext ctx) {
    String resumed = ctx.request().getHeader(STREAM_ID_HEADER);
    if (resumed != null) {
      resume(ctx, resumed);
      return;
    }
    String id = generations.newId();
    GenerateParameters.Generate params;
    try {
      params = GenerateParameters.parse(Fields.body(ctx));
    } catch (RuntimeException e) {
      generations.refuse(ctx, id, null, e);
      return;
    }
    generations.serve(ctx, ApiKeys.ownerOf(ctx), params.toRequest(id), params.model(), (stream, served) -> params.stream()
        ? new NativeSseChannel(generations.sse(ctx)) : new CollectingChannel(ctx.response(), id), params.stream());
  }

  /**
   * A client that lost its SSE connection comes back, to this gateway or any other, with the stream
   * id (the {@code X-Tokenbus-Stream-Id} header of the first response, or the path of
   * {@code GET /v1/streams/{id}}) and {@code Last-Event-ID}; the stream goes on after that token.
   */
  private void resume(RoutingContext ctx, String id) {
    if (!StreamIds.wellFormed(id)) {
      error(ctx, noSuchStream());
      return;
    }
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    int last;
    try {
      last = lastEventId == null || lastEventId.isBlank() ? -1 : Integer.parseInt(lastEventId.trim());
      if (last < -1) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      generations.refuse(ctx, id, null, new RequestValidationException("Last-Event-ID",
          "Last-Event-ID must be a token index, got '" + lastEventId + "'"));
      return;
    }
    generations.resume(ctx, ApiKeys.ownerOf(ctx), id, last,
        (stream, served) -> new NativeSseChannel(generations.sse(ctx)));
  }

  /**
   * Cancels a stream this gateway holds (streaming to a client, or parked for a reconnect) for the
   * API key that opened it: an SSE client's explicit cancel, which a closed connection is not while
   * {@code resume-grace-ms} keeps streams. 204, or 404 {@code stream_not_found}, for another key's
   * stream as for an unknown one.
   */
  private void cancelStream(RoutingContext ctx, String id) {
    if (!StreamIds.wellFormed(id)) {
      error(ctx, noSuchStream());
    } else if (client.cancel(id, ApiKeys.ownerOf(ctx), "cancelled by the client")) {
      ctx.response().setStatusCode(204).end();
    } else {
      error(ctx, ApiError.of(new StreamNotFoundException("stream " + id + " is not open on this gateway")));
    }
  }

  /** The answer to a stream id no stream can have; the id itself is not repeated. */
  private static ApiError noSuchStream() {
    return ApiError.of(new StreamNotFoundException(
        "no stream has this id: stream ids are letters, digits, '-' and '_'"));
  }

  private void webSocket(RoutingContext ctx) {
    String refusal = WebSocketHandshakes.problem(ctx.request());
    if (refusal != null) {
      if ("Sec-WebSocket-Version".equals(refusal)) {
        ctx.response().putHeader("Sec-WebSocket-Version", "13");
        error(ctx, new ApiError(426, "invalid_request_error", "only WebSocket version 13 is supported",
            "Sec-WebSocket-Version", "upgrade_required"));
      } else {
        error(ctx, ApiError.invalid("a WebSocket upgrade is required: " + refusal, null, "upgrade_required"));
      }
      return;
    }
    var pipeline = StrictWebSocketFrames.pipelineOf(ctx.request());
    var connection = ctx.request().connection();
    ctx.request().toWebSocket().onSuccess(ws -> {
      timeouts.upgraded(connection);
      StrictWebSocketFrames.install(pipeline);
      if (options.writeQueueBytes() > 0) {
        ws.setWriteQueueMaxSize(options.writeQueueBytes());
      }
    }).onSuccess(ws -> new WebSocketSession(ws, options.maxStreamsPerSocket(), generations, ApiKeys.ownerOf(ctx), timeouts)).onFailure(err -> {
          if (!ctx.response().ended()) {
            error(ctx, ApiError.invalid("a WebSocket upgrade is required: " + err.getMessage(), null,
                "upgrade_required"));
          }
        });
  }

  /**
   * The workers, the caller's own open streams (another key's are only counted, in
   * {@code other_streams}), the requests waiting for a slot and the cluster's members.
   */
  private void status(RoutingContext ctx) {
    JsonArray workers = new JsonArray();
    for (WorkerStatus w : client.registry().all()) {
      String unreachable = client.registry().unreachableReason(w.workerId());
      JsonObject worker = new JsonObject().put("id", w.workerId()).put("node", w.nodeId()).put("model", w.model())
          .put("slots", w.slots()).put("active", w.active()).put("running", w.running()).put("paused", w.paused())
          .put("kv_used", w.kvUsed()).put("kv_total", w.kvTotal()).put("reachable", unreachable == null);
      if (unreachable != null) {
        worker.put("reason", unreachable);
      }
      workers.add(worker);
    }
    // The caller's own streams only: a stream id is its owner's capability.
    StreamOwner caller = ApiKeys.ownerOf(ctx);
    List<TokenStream> own = client.streamsOf(caller);
    JsonArray streams = new JsonArray();
    for (TokenStream s : own) {
      streams.add(new JsonObject().put("id", s.streamId()).put("worker", s.workerEndpoint())
          .put("tokens_generated", s.tokensGenerated()).put("tokens_delivered", s.tokensDelivered())
          .put("state", s.state().name().toLowerCase()));
    }
    JsonArray members = new JsonArray();
    membership.members().forEach(m -> members.add(m.toJson())); // the other nodes of the cluster, and whether they are trusted
    json(ctx, 200, new JsonObject().put("workers", workers).put("streams", streams)
        .put("other_streams", client.streams().size() - own.size()).put("queued", client.queued())
        .put("members", members));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  private static void error(RoutingContext ctx, ApiError e) {
    e.send(ctx.response());
  }

  /**
   * Graceful: new requests get 503 and {@code /ready} turns 503 at once; open streams may finish
   * until the drain deadline, then end with a {@code gateway_shutdown} error.
   */
  @Override
  public Future<?> stop() {
    if (client == null) {
      return Future.succeededFuture();
    }
    draining = true;
    client.stopAccepting();
    timeouts.stop();
    return Drain.until(vertx, () -> client.streams().isEmpty(), options.drainTimeoutMs())
        .compose(drained -> {
          if (!drained) {
            LOG.warn("{} streams still open after {} ms; ending them", client.streams().size(), options.drainTimeoutMs());
          }
          return client.close();
        })
        .compose(v -> server != null ? server.close() : Future.succeededFuture());
  }
}
