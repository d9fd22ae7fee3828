package dev.tokenbus.gateway.api.responses;

import dev.tokenbus.gateway.dispatch.StreamOwner;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.ClientLink;
import dev.tokenbus.gateway.serve.EventChannel;
import dev.tokenbus.gateway.serve.StreamEvent;
import dev.tokenbus.protocol.StreamErrorType;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The background responses this gateway runs ({@code background: true}): generations with no
 * client connected, whose states are stored as they change ({@code queued}, {@code in_progress},
 * then {@code completed}, {@code incomplete}, {@code failed} or {@code cancelled}) for clients to
 * poll through any gateway. Each is held by a {@link Run}, the generation's {@link ClientLink}
 * (letting go of it is the cancel: a queued request leaves the queue, a running one is cancelled on
 * its worker within a decode step) and its {@link EventChannel}. Used on the gateway's event loop.
 */
final class BackgroundRuns {

  static final String CANCELLED = "cancelled by POST /v1/responses/{id}/cancel";

  private final Map<String, Run> runs = new HashMap<>();

  /** A background run for {@code response}, kept until it is over. */
  Run start(ResponseRun response, ResponsesRequest request, String sid, StreamOwner owner) {
    Run run = new Run(response, request, owner);
    runs.put(sid, run);
    run.over.future().onComplete(ar -> runs.remove(sid, run));
    return run;
  }

  /** Cancels {@code owner}'s run under stream id {@code sid}; completes once its last state is stored. */
  Future<Boolean> cancel(String sid, StreamOwner owner) {
    Run run = runs.get(sid);
    if (run == null || !run.owner.equals(owner)) {
      return Future.succeededFuture(false);
    }
    run.letGo(CANCELLED);
    return run.over.future().map(true);
  }

  /** How many runs this gateway holds. */
  int size() {
    return runs.size();
  }

  /** One background generation: the client side of its link, and the channel its events go to. */
  static final class Run implements ClientLink, EventChannel {

    private final ResponseRun response;
    private final OutputItems items;
    private final StreamOwner owner;
    private final Promise<Void> over = Promise.promise();
    private String abandoned;
    private Consumer<String> onAbandoned;

    private Run(ResponseRun response, ResponsesRequest request, StreamOwner owner) {
      this.response = response;
      this.items = new OutputItems(request.tools(), OutputItems.SILENT);
      this.owner = owner;
    }

    private void letGo(String reason) {
      if (abandoned == null) {
        abandoned = reason;
        if (onAbandoned != null) {
          onAbandoned.accept(reason);
        }
      }
    }

    /** The run's channel, once its generation opened on {@code model}: the state becomes {@code in_progress}. */
    EventChannel opened(String model) {
      response.servedBy(model);
      response.storedState("in_progress");
      return this;
    }

    @Override
    public String abandoned() {
      return abandoned;
    }

    @Override
    public void onAbandoned(Consumer<String> handler) {
      onAbandoned = handler;
      if (abandoned != null) {
        handler.accept(abandoned);
      }
    }

    @Override
    public void refuse(ApiError error) {
      Future<?> last = abandoned != null ? response.cancelled(new JsonArray())
          : response.failed(error.type(), error.message(), new JsonArray());
      last.onComplete(ar -> over.tryComplete());
    }

    @Override
    public void transportFailed() {}

    @Override
    public Future<Void> send(StreamEvent event) {
      Future<?> last = switch (event) {
        case StreamEvent.Token t -> {
          items.add(t.token());
          yield null;
        }
        case StreamEvent.Done d -> response.finished(d.result(), items.finish(), items.reasoningTokens());
        case StreamEvent.Failed f when f.type() == StreamErrorType.CANCELLED && abandoned != null ->
            response.cancelled(items.finish());
        case StreamEvent.Failed f -> {
          ApiError e = ApiError.ofStream(f.type(), f.message());
          yield response.failed(e.type(), e.message(), items.finish());
        }
      };
      if (last == null) {
        return Future.succeededFuture();
      }
      return last.onComplete(ar -> over.tryComplete()).mapEmpty();
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public void drainHandler(Handler<Void> handler) {}

    @Override
    public void close() {}
  }
}
