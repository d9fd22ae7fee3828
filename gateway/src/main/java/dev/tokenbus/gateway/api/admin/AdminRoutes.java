package dev.tokenbus.gateway.api.admin;

import dev.tokenbus.gateway.api.ApiKeys;
import dev.tokenbus.gateway.dispatch.Dispatcher;
import dev.tokenbus.gateway.serve.ApiError;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/admin/workers/{id}/drain}: the worker stops taking work and moves its running
 * streams away (see {@link Dispatcher#drainWorker}); the answer is its account of them. Mounted
 * before the tenants' key check, with a key check of its own: an admin key opens these routes and
 * nothing else, an API key opens everything else and not these. Without admin keys the routes
 * answer 404, as if they did not exist.
 */
public final class AdminRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(AdminRoutes.class);
  /** Worker ids are endpoint addresses ({@code tokenbus.worker.<uuid>}); anything much longer is not one. */
  private static final int MAX_ID_CHARS = 200;

  private final Dispatcher dispatcher;
  private final Set<String> adminKeys;

  public AdminRoutes(Dispatcher dispatcher, Set<String> adminKeys) {
    this.dispatcher = dispatcher;
    this.adminKeys = Set.copyOf(adminKeys);
  }

  public void mount(Router router) {
    if (adminKeys.isEmpty()) {
      router.route("/v1/admin/*").handler(ctx -> ApiError.notFound("no route for " + ctx.request().path()
          + " (the admin routes are off: start the gateway with admin-keys)").send(ctx.response()));
      return;
    }
    router.route("/v1/admin/*").handler(new ApiKeys(adminKeys));
    router.post("/v1/admin/workers/:id/drain").handler(this::drain);
    // Admin paths that match no route end here, not in the tenants' routes behind.
    router.route("/v1/admin/*").handler(ctx -> ApiError.notFound("no route for " + ctx.request().path())
        .send(ctx.response()));
  }

  private void drain(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (id == null || id.isEmpty() || id.length() > MAX_ID_CHARS) {
      ApiError.invalid("the worker id must be 1 to " + MAX_ID_CHARS + " characters", "id", "invalid_value")
          .send(ctx.response());
      return;
    }
    LOG.info("an operator asked worker {} to drain", id);
    dispatcher.drainWorker(id).onComplete(ar -> {
      if (ctx.response().ended() || ctx.response().closed()) {
        return;
      }
      if (ar.succeeded()) {
        ctx.response().putHeader("Content-Type", "application/json").end(ar.result().encode());
      } else if (ar.cause() instanceof dev.tokenbus.gateway.dispatch.WorkerNotFoundException e) {
        ApiError.of(e).send(ctx.response());
      } else {
        new ApiError(502, "server_error", "the worker did not complete its drain: " + ar.cause().getMessage(), null,
            "worker_unreachable").send(ctx.response());
      }
    });
  }
}
