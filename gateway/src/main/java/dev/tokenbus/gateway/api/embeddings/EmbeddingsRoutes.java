package dev.tokenbus.gateway.api.embeddings;

import dev.tokenbus.gateway.dispatch.QueueFullException;
import dev.tokenbus.gateway.json.Fields;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.Generations;
import dev.tokenbus.protocol.EmbeddingsWire;
import dev.tokenbus.protocol.WorkerStatus;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Base64;

/**
 * {@code POST /v1/embeddings}: the body is read strictly here ({@link EmbeddingsRequest}); a worker
 * of the model that computes embeddings tokenizes, checks the lengths and computes the vectors, and
 * answers them as binary floats, which become JSON numbers or base64 here. Failures take OpenAI's
 * error shape ({@link ApiError}).
 */
public final class EmbeddingsRoutes {

  /** How long a worker may take over one request (a full one is 2048 inputs, computed on the CPU). */
  static final long TIMEOUT_MS = 120_000;

  private final Generations generations;

  public EmbeddingsRoutes(Generations generations) {
    this.generations = generations;
  }

  public void mount(Router router, Handler<RoutingContext> body) {
    router.post("/v1/embeddings").handler(body).handler(this::embeddings);
  }

  private void embeddings(RoutingContext ctx) {
    EmbeddingsRequest request;
    try {
      request = EmbeddingsRequest.parse(Fields.body(ctx));
    } catch (RuntimeException e) {
      fail(ctx, e);
      return;
    }
    String model = request.model() != null ? request.model() : servedModel();
    generations.dispatcher().embeddings(model, request.toWire(), TIMEOUT_MS).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
        return;
      }
      EmbeddingsWire answer;
      try {
        answer = EmbeddingsWire.decode(ar.result());
      } catch (IllegalArgumentException e) {
        fail(ctx, e);
        return;
      }
      generations.metrics().embeddings(answer.count(), answer.promptTokens());
      if (!ctx.response().closed()) { // the client may have gone while the worker computed
        ctx.response().putHeader("Content-Type", "application/json")
            .end(response(answer, request.base64(), model).toBuffer());
      }
    });
  }

  /** Without a {@code model}: the model of a worker that computes embeddings, so the answer can name it. */
  private String servedModel() {
    return generations.dispatcher().registry().eligible(null).stream().filter(s -> s.embeddingSize() > 0)
        .map(WorkerStatus::model).findFirst().orElse(null);
  }

  /** OpenAI's list of embeddings with its usage. */
  static JsonObject response(EmbeddingsWire answer, boolean base64, String model) {
    JsonArray data = new JsonArray();
    for (int i = 0; i < answer.count(); i++) {
      Object embedding;
      if (base64) {
        embedding = Base64.getEncoder().encodeToString(answer.vectorBytes(i).getBytes());
      } else {
        JsonArray numbers = new JsonArray();
        for (float x : answer.vector(i)) {
          numbers.add(x);
        }
        embedding = numbers;
      }
      data.add(new JsonObject().put("object", "embedding").put("index", i).put("embedding", embedding));
    }
    return new JsonObject().put("object", "list").put("data", data).put("model", model)
        .put("usage", new JsonObject().put("prompt_tokens", answer.promptTokens())
            .put("total_tokens", answer.promptTokens()));
  }

  private void fail(RoutingContext ctx, Throwable cause) {
    ApiError error = ApiError.of(cause);
    if (cause instanceof QueueFullException full) {
      ctx.response().putHeader("Retry-After", Long.toString(full.retryAfterSeconds()));
    }
    generations.metrics().failed(error.code() != null ? error.code() : error.type());
    error.send(ctx.response());
  }
}
