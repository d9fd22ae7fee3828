package dev.tokenbus.gateway;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.Drain;
import dev.tokenbus.gateway.api.ApiKeys;
import dev.tokenbus.gateway.api.admin.AdminRoutes;
import dev.tokenbus.gateway.api.anthropic.AnthropicRoutes;
import dev.tokenbus.gateway.api.chatpage.ChatPageRoutes;
import dev.tokenbus.gateway.api.generate.GenerateRoutes;
import dev.tokenbus.gateway.api.openai.OpenAiRoutes;
import dev.tokenbus.gateway.api.ops.OpsRoutes;
import dev.tokenbus.gateway.api.responses.ResponsesRoutes;
import dev.tokenbus.gateway.api.tokenize.TokenizeRoutes;
import dev.tokenbus.gateway.api.embeddings.EmbeddingsRoutes;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.gateway.dispatch.Dispatcher;
import dev.tokenbus.gateway.dispatch.ResponseStore;
import dev.tokenbus.gateway.dispatch.WorkerRegistry;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.Generations;
import dev.tokenbus.gateway.transport.ConnectionTimeouts;
import dev.tokenbus.gateway.transport.ProtocolErrors;
import dev.tokenbus.metrics.TokenbusMetrics;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway node: its HTTP server, its connection guards and its one route table
 * ({@link #router()}), where each API mounts its routes: the native API ({@link GenerateRoutes}),
 * OpenAI's ({@link OpenAiRoutes}), Anthropic's ({@link AnthropicRoutes}), tokenize, the operations routes and the chat page. Generations go
 * to workers through a {@link Dispatcher}; every API is fed by the same relay
 * ({@link Generations}).
 */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
  /** The most stack frames logged per exception of an unhandled failure. */
  private static final int LOGGED_FRAMES = 24;

  private final GatewayOptions options;
  private final DispatchOptions dispatchOptions;
  private final ClusterMembership membership;
  private final TokenbusMetrics metrics;
  private final OpsRoutes ops;
  private Dispatcher dispatcher;
  private Generations generations;
  private HttpServer server;
  private ConnectionTimeouts timeouts;
  private volatile boolean draining;

  /**
   * @param ops the node's operations routes, mounted on this gateway's router; the gateway adds
   *     its own readiness condition (at least one known worker reachable)
   */
  public GatewayVerticle(GatewayOptions options, DispatchOptions dispatchOptions, ClusterMembership membership,
      TokenbusMetrics metrics, OpsRoutes ops) {
    this.options = options;
    this.dispatchOptions = dispatchOptions;
    this.membership = membership;
    this.metrics = metrics;
    this.ops = ops;
  }

  /** A gateway on a cluster node, with the node's metrics and its own operations routes. */
  public static GatewayVerticle forNode(ClusterNode node, GatewayOptions options, DispatchOptions dispatchOptions) {
    return new GatewayVerticle(options, dispatchOptions, node.membership(), node.metrics(), new OpsRoutes(node.vertx()));
  }

  /** The port the server listens on (useful with port 0). */
  public int port() {
    return server.actualPort();
  }

  public Dispatcher dispatcher() {
    return dispatcher;
  }

  @Override
  public Future<?> start() {
    return Dispatcher.create(vertx, membership, dispatchOptions).compose(c -> {
      dispatcher = c;
      generations = new Generations(vertx, c, metrics, options.keepAliveMs(), options.writeQueueBytes());
      metrics.expectErrors(ApiError.COMMON_CODES);
      c.onDispatched(metrics::dispatchLatency);
      // Read at each scrape, off the gateway's context: a count that may lag by an announcement.
      metrics.counter("tokenbus_worker_announcements", "Worker status announcements that arrived at this gateway",
          c::registry, WorkerRegistry::announcements);
      metrics.counter("tokenbus_worker_announcement_bytes", "Their size on the wire, in bytes",
          c::registry, WorkerRegistry::announcementBytes);
      for (var reason : Dispatcher.moveReasons()) {
        metrics.counter("tokenbus_stream_moves", "Streams moved to another worker, by why their worker was given up",
            Tags.of("reason", reason.wireName()), () -> c, d -> d.moves(reason));
      }
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
    ops.readyWhen("workers", () -> draining ? "shutting down" : dispatcher.registry().notReady());
    ops.mount(router, metrics);
    new AdminRoutes(dispatcher, options.adminKeys()).mount(router); // its own keys: before the tenants' check
    AnthropicRoutes.shapeErrors(router); // before the tenants' check: its 401 takes Anthropic's shape there
    if (!options.apiKeys().isEmpty()) {
      router.route("/v1/*").handler(new ApiKeys(options.apiKeys())); // /health, /ready and /metrics stay open
    }
    ChatPageRoutes.mount(router);
    // No file uploads: JSON bodies only, and no file-uploads/ directory in the working directory.
    BodyHandler body = BodyHandler.create(false).setBodyLimit(options.bodyLimitBytes());
    new GenerateRoutes(generations, membership, options.maxStreamsPerSocket(), options.writeQueueBytes(), timeouts)
        .mount(router, body);
    new OpenAiRoutes(generations, options.reasoning()).mount(router, body);
    new AnthropicRoutes(generations, options.reasoning()).mount(router, body);
    new TokenizeRoutes(generations).mount(router, body);
    new ResponsesRoutes(vertx, generations, ResponseStore.of(vertx, dispatchOptions.responsesTtlMs(),
        ClusterNode.RESPONSES_MAP_MB * 1024L * 1024), options.reasoning()).mount(router, body);
    new EmbeddingsRoutes(generations).mount(router, body);
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

  private static void error(RoutingContext ctx, ApiError e) {
    e.send(ctx);
  }

  /**
   * Graceful: new requests get 503 and {@code /ready} turns 503 at once; open streams may finish
   * until the drain deadline, then end with a {@code gateway_shutdown} error.
   */
  @Override
  public Future<?> stop() {
    if (dispatcher == null) {
      return Future.succeededFuture();
    }
    draining = true;
    dispatcher.stopAccepting();
    timeouts.stop();
    return Drain.until(vertx, () -> dispatcher.streams().isEmpty(), options.drainTimeoutMs())
        .compose(drained -> {
          if (!drained) {
            LOG.warn("{} streams still open after {} ms; ending them", dispatcher.streams().size(), options.drainTimeoutMs());
          }
          return dispatcher.close();
        })
        .compose(v -> server != null ? server.close() : Future.succeededFuture());
  }
}
