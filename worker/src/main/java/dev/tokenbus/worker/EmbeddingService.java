package dev.tokenbus.worker;

import dev.tokenbus.engine.AdmissionException;
import dev.tokenbus.engine.Embedder;
import dev.tokenbus.engine.Engine;
import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.protocol.EmbeddingsWire;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's embeddings on the event bus, request/reply on {@link Addresses#embeddings} in the form
 * of {@link EmbeddingsWire}. Texts are tokenized on Vert.x's worker pool; the vectors are computed
 * by the engine's {@link Embedder} on its own thread, never the decode thread's. A bad input fails
 * the reply with {@link EmbeddingsWire#BAD_REQUEST}, a full queue with {@link EmbeddingsWire#BUSY},
 * an engine without embeddings (simulated) or shutting down with {@link EmbeddingsWire#UNAVAILABLE}.
 */
final class EmbeddingService {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddingService.class);

  private final Vertx vertx;
  private final Engine engine;
  private MessageConsumer<JsonObject> consumer;

  EmbeddingService(Vertx vertx, Engine engine) {
    this.vertx = vertx;
    this.engine = engine;
  }

  Future<Void> start(String workerEndpoint) {
    consumer = vertx.eventBus().consumer(Addresses.embeddings(workerEndpoint), this::handle);
    return consumer.completion();
  }

  Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void handle(Message<JsonObject> msg) {
    Optional<Embedder> embedder = engine.embedder();
    if (embedder.isEmpty()) {
      msg.fail(EmbeddingsWire.UNAVAILABLE, "this worker's engine computes no embeddings");
      return;
    }
    Embedder e = embedder.get();
    vertx.executeBlocking(() -> start(e, msg.body()), false)
        .compose(job -> Future.fromCompletionStage(job.vectors(), vertx.getOrCreateContext())
            .map(v -> EmbeddingsWire.encode(v, job.tokens())))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            msg.reply(ar.result());
          } else {
            fail(msg, ar.cause());
          }
        });
  }

  private record Job(java.util.concurrent.CompletableFuture<float[][]> vectors, int tokens) {}

  /** Checks and tokenizes the inputs and queues them. */
  private static Job start(Embedder e, JsonObject request) {
    Integer dimensions = request.getInteger("dimensions");
    if (dimensions != null && dimensions != e.dimensions()) {
      throw new RequestValidationException("dimensions", "this model's embeddings have " + e.dimensions()
          + " dimensions and cannot be shortened to " + dimensions);
    }
    JsonArray input = request.getJsonArray("input", new JsonArray());
    if (input.isEmpty()) {
      throw new RequestValidationException("input", "input must not be empty");
    }
    List<int[]> inputs = new ArrayList<>(input.size());
    int tokens = 0;
    for (int i = 0; i < input.size(); i++) {
      String param = input.size() == 1 ? "input" : "input[" + i + "]";
      int[] ids = switch (input.getValue(i)) {
        case String text -> e.tokenize(text, param);
        case JsonArray array -> ids(array, param);
        case null, default -> throw new RequestValidationException(param, param + " must be a string or token ids");
      };
      e.check(ids, param);
      inputs.add(ids);
      tokens += ids.length;
    }
    return new Job(e.embed(inputs), tokens);
  }

  private static int[] ids(JsonArray array, String param) {
    int[] ids = new int[array.size()];
    for (int i = 0; i < ids.length; i++) {
      if (!(array.getValue(i) instanceof Integer id)) {
        throw new RequestValidationException(param, param + " must hold integer token ids");
      }
      ids[i] = id;
    }
    return ids;
  }

  private static void fail(Message<JsonObject> msg, Throwable cause) {
    Throwable c = cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null
        ? cause.getCause() : cause;
    switch (c) {
      case RequestValidationException e -> msg.fail(EmbeddingsWire.BAD_REQUEST, e.param() + ": " + e.getMessage());
      case AdmissionException e when e.reason() == AdmissionException.Reason.NO_FREE_SLOT ->
          msg.fail(EmbeddingsWire.BUSY, e.getMessage());
      case AdmissionException e -> msg.fail(EmbeddingsWire.UNAVAILABLE, e.getMessage());
      default -> {
        LOG.warn("an embeddings request failed: {}", String.valueOf(c));
        msg.fail(500, String.valueOf(c.getMessage()));
      }
    }
  }
}
