package dev.tokenbus.gateway.api.responses;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A response's stream as the Responses API's events, numbered in order by {@code sequence_number}:
 * the one encoding of them, whether they go straight to a client ({@link ResponsesStreamChannel})
 * or into the log of a background response ({@link EventLog}) that clients read through any
 * gateway. Each event is {@code {"type": <type>, "sequence_number": n, ...}}:
 * {@code response.created} (and {@code response.queued} for a background response),
 * {@code response.in_progress}; per output item {@code response.output_item.added}, then for a
 * message {@code response.content_part.added}, {@code response.output_text.delta}…,
 * {@code response.output_text.done}, {@code response.content_part.done}, for reasoning the same with
 * a {@code reasoning_text} part and {@code response.reasoning_text.delta}/{@code .done}, and for a
 * function call {@code response.function_call_arguments.delta}…,
 * {@code response.function_call_arguments.done}; {@code response.output_item.done}; and last the
 * end: {@code response.completed}, {@code response.incomplete} (a token limit) or
 * {@code response.failed} (also for a background response cancelled: its status says
 * {@code cancelled}, since the API names no event for it).
 */
final class ResponseEvents implements OutputItems.Listener {

  /** Where the events go, in order. */
  @FunctionalInterface
  interface Sink {
    Future<Void> emit(String type, JsonObject event);
  }

  private final Sink sink;
  private int sequence;

  ResponseEvents(Sink sink) {
    this.sink = sink;
  }

  /** The response's state at its start: {@code response.created}, {@code response.queued}, {@code response.in_progress}. */
  Future<Void> state(String type, JsonObject response) {
    return emit(type, new JsonObject().put("response", response));
  }

  /** The response at its end, by its status. */
  Future<Void> ended(JsonObject response) {
    String type = switch (response.getString("status")) {
      case "completed" -> "response.completed";
      case "incomplete" -> "response.incomplete";
      default -> "response.failed";
    };
    return emit(type, new JsonObject().put("response", response));
  }

  @Override
  public void added(int index, JsonObject item) {
    emit("response.output_item.added", new JsonObject().put("output_index", index).put("item", item));
    if ("message".equals(item.getString("type"))) {
      emit("response.content_part.added", part(index, item.getString("id")).put("part", textPart("")));
    } else if ("reasoning".equals(item.getString("type"))) {
      emit("response.content_part.added", part(index, item.getString("id")).put("part", reasoningPart("")));
    }
  }

  @Override
  public void reasoning(int index, String itemId, String delta) {
    emit("response.reasoning_text.delta", part(index, itemId).put("delta", delta));
  }

  @Override
  public void text(int index, String itemId, String delta) {
    emit("response.output_text.delta", part(index, itemId).put("delta", delta).put("logprobs", new JsonArray()));
  }

  @Override
  public void arguments(int index, String itemId, String delta) {
    emit("response.function_call_arguments.delta", new JsonObject().put("item_id", itemId).put("output_index", index)
        .put("delta", delta));
  }

  @Override
  public void done(int index, JsonObject item) {
    String itemId = item.getString("id");
    if ("message".equals(item.getString("type"))) {
      String text = item.getJsonArray("content").getJsonObject(0).getString("text");
      emit("response.output_text.done", part(index, itemId).put("text", text).put("logprobs", new JsonArray()));
      emit("response.content_part.done", part(index, itemId).put("part", textPart(text)));
    } else if ("reasoning".equals(item.getString("type"))) {
      String text = item.getJsonArray("content").getJsonObject(0).getString("text");
      emit("response.reasoning_text.done", part(index, itemId).put("text", text));
      emit("response.content_part.done", part(index, itemId).put("part", reasoningPart(text)));
    } else if ("function_call".equals(item.getString("type"))) {
      emit("response.function_call_arguments.done", new JsonObject().put("item_id", itemId).put("output_index", index)
          .put("arguments", item.getString("arguments")));
    }
    emit("response.output_item.done", new JsonObject().put("output_index", index).put("item", item));
  }

  private static JsonObject part(int index, String itemId) {
    return new JsonObject().put("item_id", itemId).put("output_index", index).put("content_index", 0);
  }

  private static JsonObject reasoningPart(String text) {
    return new JsonObject().put("type", "reasoning_text").put("text", text);
  }

  private static JsonObject textPart(String text) {
    return new JsonObject().put("type", "output_text").put("text", text).put("annotations", new JsonArray());
  }

  private Future<Void> emit(String type, JsonObject data) {
    JsonObject event = new JsonObject().put("type", type).put("sequence_number", sequence++);
    data.forEach(e -> event.put(e.getKey(), e.getValue()));
    return sink.emit(type, event);
  }
}
