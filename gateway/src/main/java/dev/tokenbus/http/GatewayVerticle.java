package dev.tokenbus.http;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.Drain;
import dev.tokenbus.dispatch.ClientOptions;
import dev.tokenbus.dispatch.QueueFullException;
import dev.tokenbus.dispatch.TokenbusClient;
import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.metrics.TokenbusMetrics;
import dev.tokenbus.protocol.WorkerStatus;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP surface of a gateway: {@code POST /v1/generate} (SSE, or one JSON object), the
 * {@code /v1/ws} WebSocket, {@code GET /v1/status}, {@code GET /health} and the web chat page at
 * {@code /} ({@link ChatPageRoutes}). Generations go to
 * workers through a {@link TokenbusClient}; every transport is fed by the same {@link StreamRelay}.
 */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

  private final GatewayOptions options;
  private final ClientOptions clientOptions;
  private final ClusterMembership membership;
  private final TokenbusMetrics metrics;
  private final OpsRoutes ops;
  private TokenbusClient client;
  private HttpServer server;
  private volatile boolean draining;

  /**
   * @param ops the node's operations routes, mounted on this gateway's router; the gateway adds
   *     its own readiness condition (at least one worker known)
   */
  public GatewayVerticle(GatewayOptions options, ClientOptions clientOptions, ClusterMembership membership,
      TokenbusMetrics metrics, OpsRoutes ops) {
    this.options = options;
    this.clientOptions = clientOptions;
    this.membership = membership;
    this.metrics = metrics;
    this.ops = ops;
  }

  /** A gateway on a cluster node, with the node's metrics and its own operations routes. */
  public static GatewayVerticle forNode(ClusterNode node, GatewayOptions options, ClientOptions clientOptions) {
    return new GatewayVerticle(options, clientOptions, node.membership(), node.metrics(), new OpsRoutes(node.vertx()));
  }

  /** The port the server listens on (useful with port 0). */
  public int port() {
    return server.actualPort();
  }

  public TokenbusClient client() {
    return client;
  }

  @Override
  public Future<?> start() {
    return TokenbusClient.create(vertx, membership, clientOptions).compose(c -> {
      client = c;
      HttpServerOptions http = new HttpServerOptions().setHost(options.host()).setPort(options.port())
          .setMaxWebSocketFrameSize(options.bodyLimitBytes()).setMaxWebSocketMessageSize(options.bodyLimitBytes());
      if (options.sendBufferBytes() > 0) {
        http.setSendBufferSize(options.sendBufferBytes());
      }
      server = vertx.createHttpServer(http).requestHandler(router());
      return server.listen();
    }).onSuccess(s -> LOG.info("gateway listening on http://{}:{}", options.host(), s.actualPort()));
  }

  private Router router() {
    Router router = Router.router(vertx);
    ops.readyWhen("workers", () -> draining ? "shutting down"
        : client.registry().all().isEmpty() ? "no worker is reachable" : null);
    ops.mount(router, metrics);
    router.get("/v1/status").handler(this::status);
    router.get("/v1/ws").handler(this::webSocket);
    ChatPageRoutes.mount(router);
    router.post("/v1/generate").handler(BodyHandler.create().setBodyLimit(options.bodyLimitBytes()))
        .handler(this::generate);
    router.errorHandler(413, ctx -> error(ctx, ApiError.tooLarge(options.bodyLimitBytes())));
    router.errorHandler(404, ctx -> error(ctx, ApiError.notFound("no route for " + ctx.request().path())));
    router.errorHandler(405, ctx -> error(ctx, ApiError.methodNotAllowed(ctx.request().method().name())));
    router.errorHandler(400, ctx -> error(ctx, ApiError.invalid(ctx.failure() != null ? ctx.failure().getMessage()
        : "bad request", null, "invalid_request")));
    router.errorHandler(500, ctx -> {
      LOG.error("unhandled failure on {}", ctx.request().path(), ctx.failure());
      error(ctx, ApiError.of(ctx.failure() != null ? ctx.failure() : new IllegalStateException()));
    });
    return router;
  }

  private void generate(RoutingContext ctx) {
    String id = client.newStreamId();
    GenerateParameters.Generate params;
    try {
      params = GenerateParameters.parse(bodyAsObject(ctx));
    } catch (RuntimeException e) {
      refuse(ctx, new RequestObserver(metrics, id, null), ApiError.of(e));
      return;
    }
    RequestObserver observer = new RequestObserver(metrics, id, params.model());
    open(params, id).onComplete(ar -> {
      if (ar.failed()) {
        if (ar.cause() instanceof QueueFullException full) {
          ctx.response().putHeader("Retry-After", Long.toString(full.retryAfterSeconds()));
        }
        refuse(ctx, observer, ApiError.of(ar.cause()));
        return;
      }
      TokenStream stream = ar.result();
      if (ctx.response().closed()) {
        stream.cancel("client disconnected");
        return;
      }
      EventChannel channel = params.stream()
          ? new SseChannel(vertx, ctx.response().putHeader("X-Tokenbus-Stream-Id", id), options.keepAliveMs(),
              options.writeQueueBytes())
          : new CollectingChannel(ctx.response(), id);
      StreamRelay.relay(stream, channel, observer);
    });
  }

  private static void refuse(RoutingContext ctx, RequestObserver observer, ApiError e) {
    observer.onError(null, e.code() != null ? e.code() : e.type(), e.status());
    error(ctx, e);
  }

  private Future<TokenStream> open(GenerateParameters.Generate params, String id) {
    return client.generate(params.toRequest(id), params.model());
  }

  private static JsonObject bodyAsObject(RoutingContext ctx) {
    if (ctx.body() == null || ctx.body().buffer() == null || ctx.body().length() == 0) {
      throw new DecodeException("the body is empty; send a JSON object");
    }
    Object parsed = ctx.body().buffer().toJsonValue();
    if (!(parsed instanceof JsonObject o)) {
      throw new DecodeException("the body must be a JSON object, got " + GenerateParameters.kind(parsed));
    }
    return o;
  }

  private void webSocket(RoutingContext ctx) {
    ctx.request().toWebSocket().onSuccess(ws -> {
      if (options.writeQueueBytes() > 0) {
        ws.setWriteQueueMaxSize(options.writeQueueBytes());
      }
    }).onSuccess(ws -> new WebSocketSession(ws, options.maxStreamsPerSocket(), params -> {
      String id = client.newStreamId();
      return new WebSocketSession.Opened(open(params, id), new RequestObserver(metrics, id, params.model()));
    })).onFailure(err -> {
          if (!ctx.response().ended()) {
            error(ctx, ApiError.invalid("a WebSocket upgrade is required: " + err.getMessage(), null,
                "upgrade_required"));
          }
        });
  }

  private void status(RoutingContext ctx) {
    JsonArray workers = new JsonArray();
    for (WorkerStatus w : client.registry().all()) {
      workers.add(new JsonObject().put("id", w.workerId()).put("node", w.nodeId()).put("model", w.model())
          .put("slots", w.slots()).put("active", w.active()).put("running", w.running()).put("paused", w.paused())
          .put("kv_used", w.kvUsed()).put("kv_total", w.kvTotal()));
    }
    JsonArray streams = new JsonArray();
    for (TokenStream s : client.streams()) {
      streams.add(new JsonObject().put("id", s.streamId()).put("worker", s.workerEndpoint())
          .put("tokens_generated", s.tokensGenerated()).put("tokens_delivered", s.tokensDelivered())
          .put("state", s.state().name().toLowerCase()));
    }
    json(ctx, 200, new JsonObject().put("workers", workers).put("streams", streams).put("queued", client.queued()));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  private static void error(RoutingContext ctx, ApiError e) {
    if (!ctx.response().ended() && !ctx.response().closed()) {
      json(ctx, e.status(), e.toJson());
    }
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
