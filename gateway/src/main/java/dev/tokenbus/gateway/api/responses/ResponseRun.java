package dev.tokenbus.gateway.api.responses;

import dev.tokenbus.gateway.dispatch.ResponseStore;
import dev.tokenbus.gateway.dispatch.StreamOwner;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.Usage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One response being made: its id, the conversation before it, and the response object in each of
 * its states ({@code in_progress}, then {@code completed}, {@code incomplete} or {@code failed}).
 * When it ends it is stored, with the whole conversation (history, input and output), before the
 * client hears that it ended, so that a request continuing it through any gateway finds it.
 */
final class ResponseRun {

  private static final Logger LOG = LoggerFactory.getLogger(ResponseRun.class);

  /** Stored entries: the response object, and the conversation a continuation starts from. */
  static final String RESPONSE = "response", CONVERSATION = "conversation", INPUT = "input";

  private final String id;
  private final long createdAt = System.currentTimeMillis() / 1000;
  private String model;
  private final ResponsesRequest request;
  private final JsonArray history;
  private final ResponseStore store;
  private final StreamOwner owner;
  /** The stores of this response, one after the other, so that a later state never loses to an earlier one. */
  private Future<Void> writes = Future.succeededFuture();

  ResponseRun(String id, String model, ResponsesRequest request, JsonArray history, ResponseStore store,
      StreamOwner owner) {
    this.id = id;
    this.model = model;
    this.request = request;
    this.history = history;
    this.store = store;
    this.owner = owner;
  }

  String id() {
    return id;
  }

  /** Names the model that serves the response, once a worker took it. */
  void servedBy(String servedModel) {
    this.model = servedModel;
  }

  /** The response while it is being made: no output yet. */
  JsonObject inProgress() {
    return state("in_progress");
  }

  /** The response before its end, with no output: {@code queued}, or {@code in_progress} once it runs. */
  JsonObject state(String status) {
    return object(status, new JsonArray(), null, null, null);
  }

  /** A background response's state before its end, stored: {@code queued}, or {@code in_progress} once it runs. */
  Future<JsonObject> storedState(String status) {
    return stored(state(status), new JsonArray());
  }

  /** The response of a background generation cancelled before its end, with what it had made. */
  Future<JsonObject> cancelled(JsonArray output) {
    return stored(object("cancelled", output, null, null, null), output);
  }

  /**
   * The response of a generation that ended, stored first when the request asked for it.
   *
   * @param reasoningTokens how many of its tokens were thinking
   */
  Future<JsonObject> finished(GenerationResult result, JsonArray output, int reasoningTokens) {
    boolean complete = result.finishReason() == FinishReason.STOP;
    JsonObject response = object(complete ? "completed" : "incomplete", output, usage(result.usage(), reasoningTokens),
        null,
        complete ? null : new JsonObject().put("reason", "max_output_tokens"));
    return stored(response, output);
  }

  /** The response of a generation that failed after it began. */
  Future<JsonObject> failed(String code, String message, JsonArray output) {
    return stored(object("failed", output, null, new JsonObject().put("code", code).put("message", message), null),
        output);
  }

  private Future<JsonObject> stored(JsonObject response, JsonArray output) {
    if (!request.store()) {
      return Future.succeededFuture(response);
    }
    JsonObject entry = new JsonObject().put(RESPONSE, response).put(INPUT, request.input())
        .put(CONVERSATION, history.copy().addAll(request.input()).addAll(output));
    writes = writes.transform(ignored -> store.put(id, owner, entry)).transform(ar -> {
      if (ar.failed()) {
        LOG.warn("response {} could not be stored: {}", id, ar.cause().toString());
      }
      return Future.succeededFuture();
    });
    return writes.map(response);
  }

  private JsonObject object(String status, JsonArray output, JsonObject usage, JsonObject error,
      JsonObject incomplete) {
    JsonObject o = new JsonObject().put("id", id).put("object", "response").put("created_at", createdAt)
        .put("status", status).put("error", error).put("incomplete_details", incomplete).put("model", model)
        .put("output", output).put("previous_response_id", request.previousResponseId()).put("store", request.store())
        .put("metadata", request.metadata()).put("usage", usage);
    request.echo().forEach(e -> o.put(e.getKey(), e.getValue()));
    return o;
  }

  private static JsonObject usage(Usage u, int reasoningTokens) {
    return new JsonObject().put("input_tokens", u.promptTokens())
        .put("input_tokens_details", new JsonObject().put("cached_tokens", u.cachedTokens()))
        .put("output_tokens", u.completionTokens())
        .put("output_tokens_details", new JsonObject().put("reasoning_tokens", reasoningTokens))
        .put("total_tokens", u.totalTokens());
  }
}
