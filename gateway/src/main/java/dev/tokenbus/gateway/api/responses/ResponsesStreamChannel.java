package dev.tokenbus.gateway.api.responses;

import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.SseChannel;
import dev.tokenbus.gateway.serve.SseEventChannel;
import dev.tokenbus.gateway.serve.StreamEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A streamed response as the Responses API's events, each {@code event: <type>} with the same type
 * and a {@code sequence_number} in its data: {@code response.created} and
 * {@code response.in_progress}; per output item {@code response.output_item.added}, then for a
 * message {@code response.content_part.added}, {@code response.output_text.delta}…,
 * {@code response.output_text.done}, {@code response.content_part.done}, for reasoning the same with
 * a {@code reasoning_text} part and {@code response.reasoning_text.delta}/{@code .done}, and for a
 * function call
 * {@code response.function_call_arguments.delta}…, {@code response.function_call_arguments.done};
 * {@code response.output_item.done}; and last {@code response.completed}, {@code response.incomplete}
 * (a token limit) or {@code response.failed}. The stream ends after it (no {@code [DONE]}).
 */
final class ResponsesStreamChannel extends SseEventChannel implements OutputItems.Listener {

  private final ResponseRun run;
  private final OutputItems items;
  private int sequence;

  ResponsesStreamChannel(SseChannel sse, ResponseRun run, ResponsesRequest request) {
    super(sse);
    this.run = run;
    this.items = new OutputItems(request.tools(), this);
    JsonObject response = run.inProgress();
    emit("response.created", new JsonObject().put("response", response));
    emit("response.in_progress", new JsonObject().put("response", response));
  }

  @Override
  public Future<Void> send(StreamEvent event) {
    return switch (event) {
      case StreamEvent.Token t -> {
        items.add(t.token());
        yield Future.succeededFuture();
      }
      case StreamEvent.Done d -> {
        JsonArray output = items.finish();
        yield run.finished(d.result(), output, items.reasoningTokens()).compose(r -> emit(
            "completed".equals(r.getString("status")) ? "response.completed" : "response.incomplete",
            new JsonObject().put("response", r)));
      }
      case StreamEvent.Failed f -> {
        ApiError e = ApiError.ofStream(f.type(), f.message());
        yield run.failed(e.type(), e.message(), items.finish())
            .compose(r -> emit("response.failed", new JsonObject().put("response", r)));
      }
    };
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
    return sse.event(type, null, event);
  }
}
