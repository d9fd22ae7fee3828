package dev.tokenbus.gateway.api.responses;

import dev.tokenbus.gateway.api.ApiKeys;
import dev.tokenbus.gateway.api.ReasoningParameters;
import dev.tokenbus.gateway.dispatch.ResponseStore;
import dev.tokenbus.gateway.dispatch.StreamOwner;
import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.Generations;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * OpenAI's Responses API on a gateway: {@code POST /v1/responses} (streamed or whole), and for
 * stored responses {@code GET /v1/responses/{id}}, {@code GET /v1/responses/{id}/input_items} and
 * {@code DELETE /v1/responses/{id}}, and {@code POST /v1/responses/{id}/cancel} for a background
 * response (one run with no client connected; polled with {@code GET}). A response goes the same way as a chat completion
 * ({@link Generations}); only the parsing ({@link ResponsesRequest}) and the encoding
 * ({@link ResponsesStreamChannel}, {@link ResponsesWholeChannel}) are this API's. Stored responses
 * live in the cluster's {@link ResponseStore}, so {@code previous_response_id} continues a
 * conversation through any gateway; each tenant sees only its own.
 */
public final class ResponsesRoutes {

  /** A response's id is this, then the id of the stream that made it. */
  static final String RESPONSE_PREFIX = "resp_";

  /** Most input items one page of {@code input_items} lists. */
  static final int MAX_PAGE = 100;

  private final Generations generations;
  private final ResponseStore store;
  private final ReasoningParameters.Defaults reasoning;
  private final BackgroundRuns backgrounds;

  /** @param reasoning the gateway's defaults for a thinking model's reasoning */
  public ResponsesRoutes(Vertx vertx, Generations generations, ResponseStore store,
      ReasoningParameters.Defaults reasoning) {
    this.backgrounds = new BackgroundRuns(vertx);
    this.generations = generations;
    this.store = store;
    this.reasoning = reasoning;
  }

  /** Mounts the routes; {@code body} reads (and limits) request bodies. */
  public void mount(Router router, Handler<RoutingContext> body) {
    router.post("/v1/responses").handler(body).handler(this::create);
    router.get("/v1/responses/:id").handler(this::get);
    router.get("/v1/responses/:id/input_items").handler(this::inputItems);
    router.delete("/v1/responses/:id").handler(this::delete);
    router.post("/v1/responses/:id/cancel").handler(this::cancel);
    generations.dispatcher().answerCancels(backgrounds::cancel);
    generations.dispatcher().answerEventReads(backgrounds);
  }

  private void create(RoutingContext ctx) {
    String sid = generations.newId();
    ResponsesRequest request;
    try {
      request = ResponsesRequest.parse(Fields.body(ctx), reasoning);
    } catch (RuntimeException e) {
      generations.refuse(ctx, sid, null, e);
      return;
    }
    StreamOwner owner = ApiKeys.ownerOf(ctx);
    history(request, owner).onComplete(ar -> {
      if (ar.failed()) {
        generations.refuse(ctx, sid, request.model(), ar.cause());
        return;
      }
      JsonArray history = ar.result();
      var generation = request.toRequest(sid, history);
      if (request.background()) {
        background(ctx, sid, owner, request, history, generation);
        return;
      }
      generations.serve(ctx, owner, generation, request.model(), (stream, served) -> {
        ResponseRun run = new ResponseRun(RESPONSE_PREFIX + sid, served, request, history, store, owner);
        return request.stream() ? new ResponsesStreamChannel(generations.sse(ctx), run, request)
            : new ResponsesWholeChannel(ctx.response(), run, request);
      });
    });
  }

  /**
   * Answers a background request at once (its {@code queued} state is stored first, so that a poll
   * right after finds it), then runs it with no client: the answer is the {@code queued} response,
   * or with {@code stream}, its events as they come (a client that goes away stops only its own
   * stream; it can stream the rest through any gateway with {@code GET ?stream=true&starting_after}).
   */
  private void background(RoutingContext ctx, String sid, StreamOwner owner, ResponsesRequest request,
      JsonArray history, dev.tokenbus.protocol.GenerationRequest generation) {
    ResponseRun run = new ResponseRun(RESPONSE_PREFIX + sid, request.model(), request, history, store, owner);
    BackgroundRuns.Run held = backgrounds.start(run, request, sid, owner);
    run.storedState("queued").onSuccess(queued -> {
      if (request.stream()) {
        LoggedEventsRelay.relay(ctx, generations, sid, owner, -1);
      } else {
        json(ctx, queued);
      }
      generations.serve(held, owner, generation, request.model(), (stream, served) -> held.opened(served));
    });
  }

  /**
   * Cancels a background response through any gateway: the gateway running it lets go of its
   * generation and stores it as {@code cancelled} with what it made so far; the answer is the
   * stored response. An ended response is answered as it is; one that is not a background
   * response is a 400. A background response whose gateway is gone is stored as cancelled.
   */
  private void cancel(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    StreamOwner owner = ApiKeys.ownerOf(ctx);
    stored(ctx, id, entry -> {
      JsonObject response = entry.getJsonObject(ResponseRun.RESPONSE);
      if (!response.getBoolean("background", false)) {
        ApiError.invalid("only a background response can be cancelled", null, "invalid_value").send(ctx.response());
        return;
      }
      if (!Set.of("queued", "in_progress").contains(response.getString("status"))) {
        json(ctx, response);
        return;
      }
      generations.dispatcher().cancelWherever(id.substring(RESPONSE_PREFIX.length()), owner)
          .compose(found -> found ? store.get(id, owner) : store.put(id, owner, entry.copy().put(ResponseRun.RESPONSE,
              response.copy().put("status", "cancelled"))).compose(v -> store.get(id, owner)))
          .onComplete(ar -> {
            if (ar.failed() || ar.result() == null) {
              notFound(ctx, id);
            } else {
              json(ctx, ar.result().getJsonObject(ResponseRun.RESPONSE));
            }
          });
    });
  }

  /** The conversation the request continues: the previous response's, or none. */
  private Future<JsonArray> history(ResponsesRequest request, StreamOwner owner) {
    if (request.previousResponseId() == null) {
      return Future.succeededFuture(new JsonArray());
    }
    return store.get(request.previousResponseId(), owner).compose(entry -> entry != null
        ? Future.succeededFuture(entry.getJsonArray(ResponseRun.CONVERSATION))
        : Future.failedFuture(new RequestValidationException("previous_response_id", "previous response with id '"
            + request.previousResponseId() + "' not found (never stored, expired, deleted, or another key's)")));
  }

  /**
   * A stored response; with {@code stream=true}, a background response's events instead, from its
   * start or after {@code starting_after} (a {@code sequence_number}), as they come until its end,
   * through any gateway.
   */
  private void get(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String stream = ctx.request().getParam("stream", "false");
    String startingAfter = ctx.request().getParam("starting_after");
    if (!"true".equals(stream) && !"false".equals(stream)) {
      ApiError.invalid("stream must be true or false", "stream", "invalid_value").send(ctx.response());
      return;
    }
    long after = -1;
    if (startingAfter != null) {
      try {
        after = Long.parseLong(startingAfter);
      } catch (NumberFormatException e) {
        after = -2;
      }
      if (after < 0 || after > Integer.MAX_VALUE || "false".equals(stream)) {
        ApiError.invalid("starting_after must be a sequence number (0 to " + Integer.MAX_VALUE
            + "), with stream=true", "starting_after", "invalid_value").send(ctx.response());
        return;
      }
    }
    long from = after;
    stored(ctx, id, entry -> {
      JsonObject response = entry.getJsonObject(ResponseRun.RESPONSE);
      if ("false".equals(stream)) {
        json(ctx, response);
      } else if (!response.getBoolean("background", false)) {
        ApiError.invalid("only a background response can be streamed again: this one was created with background"
            + " false", "stream", "invalid_value").send(ctx.response());
      } else {
        LoggedEventsRelay.relay(ctx, generations, id.substring(RESPONSE_PREFIX.length()), ApiKeys.ownerOf(ctx), from);
      }
    });
  }

  private void inputItems(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String order = ctx.request().getParam("order", "desc");
    String after = ctx.request().getParam("after");
    int limit;
    try {
      limit = Integer.parseInt(ctx.request().getParam("limit", "20"));
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > MAX_PAGE || !("asc".equals(order) || "desc".equals(order))) {
      ApiError.invalid("limit must be 1 to " + MAX_PAGE + " and order asc or desc", "limit", "invalid_value")
          .send(ctx.response());
      return;
    }
    int pageSize = limit;
    stored(ctx, id, entry -> {
      JsonArray items = entry.getJsonArray(ResponseRun.INPUT);
      JsonArray ordered = new JsonArray();
      for (int i = 0; i < items.size(); i++) {
        ordered.add(items.getValue("asc".equals(order) ? i : items.size() - 1 - i));
      }
      int start = 0;
      if (after != null) {
        while (start < ordered.size() && !after.equals(ordered.getJsonObject(start).getString("id"))) {
          start++;
        }
        start++;
      }
      JsonArray page = new JsonArray();
      for (int i = start; i < ordered.size() && page.size() < pageSize; i++) {
        page.add(ordered.getValue(i));
      }
      json(ctx, new JsonObject().put("object", "list").put("data", page)
          .put("first_id", page.isEmpty() ? null : page.getJsonObject(0).getString("id"))
          .put("last_id", page.isEmpty() ? null : page.getJsonObject(page.size() - 1).getString("id"))
          .put("has_more", start + page.size() < ordered.size()));
    });
  }

  private void delete(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    store.delete(id, ApiKeys.ownerOf(ctx)).onComplete(ar -> {
      if (ar.failed()) {
        ApiError.of(ar.cause()).send(ctx.response());
      } else if (!ar.result()) {
        notFound(ctx, id);
      } else {
        json(ctx, new JsonObject().put("id", id).put("object", "response").put("deleted", true));
      }
    });
  }

  private void stored(RoutingContext ctx, String id, Handler<JsonObject> found) {
    store.get(id, ApiKeys.ownerOf(ctx)).onComplete(ar -> {
      if (ar.failed()) {
        ApiError.of(ar.cause()).send(ctx.response());
      } else if (ar.result() == null) {
        notFound(ctx, id);
      } else {
        found.handle(ar.result());
      }
    });
  }

  private static void notFound(RoutingContext ctx, String id) {
    ApiError.notFound("no response with id '" + id + "' (never stored, expired, deleted, or another key's)")
        .send(ctx.response());
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
  }
}
