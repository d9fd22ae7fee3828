package dev.tokenbus.gateway.api.ops;

import dev.tokenbus.metrics.TokenbusMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.function.Supplier;

/**
 * The routes every node serves for operations: {@code /health} (the process answers),
 * {@code /ready} (it can do its job: 503 until then) and {@code /metrics} (Prometheus). Gateways
 * mount them on their API router; a worker-only node serves them on a port of their own.
 */
public final class OpsRoutes {

  private final Vertx vertx;
  private final HealthChecks readiness;

  public OpsRoutes(Vertx vertx) {
    this.vertx = vertx;
    this.readiness = HealthChecks.create(vertx);
  }

  /**
   * Adds a readiness condition: {@code /ready} is 200 only while every condition holds.
   *
   * @param check null when ready, else why not
   */
  public OpsRoutes readyWhen(String name, Supplier<String> check) {
    readiness.register(name, 1000, promise -> {
      String problem = check.get();
      promise.complete(problem == null ? Status.OK() : Status.KO(new JsonObject().put("reason", problem)));
    });
    return this;
  }

  public void mount(Router router, TokenbusMetrics metrics) {
    router.get("/health").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("status", "UP").encode()));
    router.get("/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness));
    if (metrics.registry() instanceof PrometheusMeterRegistry prometheus) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(prometheus));
    }
  }

  /** A server with only these routes, for a worker-only node. */
  public io.vertx.core.Future<io.vertx.core.http.HttpServer> listen(String host, int port, TokenbusMetrics metrics) {
    Router router = Router.router(vertx);
    mount(router, metrics);
    return vertx.createHttpServer().requestHandler(router).listen(port, host);
  }
}
