package dev.tokenbus.gateway.api.generate;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.gateway.api.ApiKeys;
import dev.tokenbus.gateway.api.GenerateParameters;
import dev.tokenbus.gateway.dispatch.Dispatcher;
import dev.tokenbus.gateway.dispatch.StreamIds;
import dev.tokenbus.gateway.dispatch.StreamNotFoundException;
import dev.tokenbus.gateway.dispatch.StreamOwner;
import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.Generations;
import dev.tokenbus.gateway.transport.ConnectionTimeouts;
import dev.tokenbus.gateway.transport.StrictWebSocketFrames;
import dev.tokenbus.gateway.transport.WebSocketHandshakes;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.WorkerStatus;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The native API: {@code POST /v1/generate} (SSE, or one JSON object), {@code GET} and
 * {@code DELETE /v1/streams/{id}} (resume, cancel), the {@code /v1/ws} WebSocket and
 * {@code GET /v1/status}.
 */
public final class GenerateRoutes {

  private final Generations generations;
  private final Dispatcher dispatcher;
  private final ClusterMembership membership;
  private final int maxStreamsPerSocket;
  private final int writeQueueBytes;
  private final ConnectionTimeouts timeouts;

  /**
   * @param maxStreamsPerSocket generations one WebSocket may run at once
   * @param writeQueueBytes bytes a WebSocket may buffer before it counts as full; 0: Vert.x's default
   * @param timeouts the server's connection timeouts, which an upgraded WebSocket joins
   */
  public GenerateRoutes(Generations generations, ClusterMembership membership, int maxStreamsPerSocket,
      int writeQueueBytes, ConnectionTimeouts timeouts) {
    this.generations = generations;
    this.dispatcher = generations.dispatcher();
    this.membership = membership;
    this.maxStreamsPerSocket = maxStreamsPerSocket;
    this.writeQueueBytes = writeQueueBytes;
    this.timeouts = timeouts;
  }

  /** Mounts the native routes; {@code body} reads a request's body within the gateway's limit. */
  public void mount(Router router, Handler<RoutingContext> body) {
    router.post("/v1/generate").handler(body).handler(this::generate);
    router.get("/v1/streams/:id").handler(ctx -> resume(ctx, ctx.pathParam("id")));
    router.delete("/v1/streams/:id").handler(ctx -> cancelStream(ctx, ctx.pathParam("id")));
    router.get("/v1/ws").handler(this::webSocket);
    router.get("/v1/status").handler(this::status);
  }

  private void generate(RoutingContext ctx) {
    String resumed = ctx.request().getHeader(Generations.STREAM_ID_HEADER);
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
    } else if (dispatcher.cancel(id, ApiKeys.ownerOf(ctx), "cancelled by the client")) {
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
      if (writeQueueBytes > 0) {
        ws.setWriteQueueMaxSize(writeQueueBytes);
      }
      new WebSocketSession(ws, maxStreamsPerSocket, generations, ApiKeys.ownerOf(ctx), timeouts);
    }).onFailure(err -> {
      if (!ctx.response().ended()) {
        error(ctx, ApiError.invalid("a WebSocket upgrade is required: " + err.getMessage(), null, "upgrade_required"));
      }
    });
  }

  /**
   * The workers, the caller's own open streams (another key's are only counted, in
   * {@code other_streams}), the requests waiting for a slot and the cluster's members.
   */
  private void status(RoutingContext ctx) {
    JsonArray workers = new JsonArray();
    for (WorkerStatus w : dispatcher.registry().all()) {
      String unreachable = dispatcher.registry().unreachableReason(w.workerId());
      JsonObject worker = new JsonObject().put("id", w.workerId()).put("node", w.nodeId()).put("model", w.model())
          .put("slots", w.slots()).put("active", w.active()).put("running", w.running()).put("paused", w.paused())
          .put("kv_used", w.kvUsed()).put("kv_total", w.kvTotal()).put("reachable", unreachable == null);
      if (w.simulated()) {
        worker.put("simulated", true);
      }
      if (unreachable != null) {
        worker.put("reason", unreachable);
      }
      workers.add(worker);
    }
    // The caller's own streams only: a stream id is its owner's capability.
    StreamOwner caller = ApiKeys.ownerOf(ctx);
    List<TokenStream> own = dispatcher.streamsOf(caller);
    JsonArray streams = new JsonArray();
    for (TokenStream s : own) {
      streams.add(new JsonObject().put("id", s.streamId()).put("worker", s.workerEndpoint())
          .put("tokens_generated", s.tokensGenerated()).put("tokens_delivered", s.tokensDelivered())
          .put("state", s.state().name().toLowerCase()));
    }
    JsonArray members = new JsonArray();
    membership.members().forEach(m -> members.add(m.toJson())); // the other nodes of the cluster, and whether they are trusted
    json(ctx, 200, new JsonObject().put("workers", workers).put("streams", streams)
        .put("other_streams", dispatcher.streams().size() - own.size()).put("queued", dispatcher.queued())
        .put("members", members));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  private static void error(RoutingContext ctx, ApiError e) {
    e.send(ctx.response());
  }
}
