package dev.tokenbus.gateway.api.responses;

import dev.tokenbus.gateway.dispatch.EventBatch;
import dev.tokenbus.gateway.dispatch.StreamNotFoundException;
import dev.tokenbus.gateway.dispatch.StreamOwner;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.ClientLink;
import dev.tokenbus.gateway.serve.EventChannel;
import dev.tokenbus.gateway.serve.StreamEvent;
import dev.tokenbus.protocol.StreamErrorType;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The background responses this gateway runs ({@code background: true}): generations with no
 * client connected, whose states are stored as they change ({@code queued}, {@code in_progress},
 * then {@code completed}, {@code incomplete}, {@code failed} or {@code cancelled}) for clients to
 * poll through any gateway, and whose events go into an {@link EventLog} for clients to stream
 * through any gateway ({@link #read}), from the start or after a {@code starting_after}. Each is
 * held by a {@link Run}, the generation's {@link ClientLink} (letting go of it is the cancel: a
 * queued request leaves the queue, a running one is cancelled on its worker within a decode step)
 * and its {@link EventChannel}. A log is kept {@link #KEEP_MS} after its response ended, at most
 * {@link #MAX_ENDED} ended ones holding {@link #MAX_ENDED_BYTES} together (the oldest go first).
 * Used on the gateway's event loop.
 */
final class BackgroundRuns implements EventBatch.Reader {

  static final String CANCELLED = "cancelled by POST /v1/responses/{id}/cancel";

  /** How long the events of an ended background response stay readable. */
  static final long KEEP_MS = 10 * 60_000;

  /** Most logs of ended responses kept. */
  static final int MAX_ENDED = 256;

  /** Most characters of events the logs of ended responses keep together (each running one keeps up to {@link EventLog#MAX_BYTES}). */
  static final long MAX_ENDED_BYTES = 64L * 1024 * 1024;

  private final Vertx vertx;
  private final Map<String, Run> runs = new HashMap<>();
  private final LinkedHashMap<String, Run> logs = new LinkedHashMap<>();
  private int ended;
  private long endedBytes;

  BackgroundRuns(Vertx vertx) {
    this.vertx = vertx;
  }

  /** A background run for {@code response}, kept until it is over; its log from then for {@link #KEEP_MS}. */
  Run start(ResponseRun response, ResponsesRequest request, String sid, StreamOwner owner) {
    Run run = new Run(new EventLog(vertx, response.id()), response, request, owner);
    runs.put(sid, run);
    logs.put(sid, run);
    run.over.future().onComplete(ar -> {
      runs.remove(sid, run);
      ended++;
      endedBytes += run.log.bytes();
      run.keepTimer = vertx.setTimer(KEEP_MS, t -> forget(sid, run));
      Iterator<Map.Entry<String, Run>> oldest = logs.entrySet().iterator();
      while ((ended > MAX_ENDED || endedBytes > MAX_ENDED_BYTES) && oldest.hasNext()) {
        Run r = oldest.next().getValue();
        if (r.log.ended()) {
          oldest.remove();
          dropped(r);
        }
      }
    });
    return run;
  }

  private void forget(String sid, Run run) {
    if (logs.remove(sid, run)) {
      dropped(run);
    }
  }

  /** An ended run's log is no longer kept. */
  private void dropped(Run run) {
    ended--;
    endedBytes -= run.log.bytes();
    vertx.cancelTimer(run.keepTimer);
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

  /** Reads the log of {@code owner}'s run {@code sid}, waiting up to {@link EventBatch#WAIT_MS} for an event. */
  @Override
  public Future<EventBatch> read(String sid, StreamOwner owner, long after) {
    Run run = logs.get(sid);
    if (run == null || !run.owner.equals(owner)) {
      return Future.failedFuture(new StreamNotFoundException("the events of response " + ResponsesRoutes.RESPONSE_PREFIX
          + sid + " are not kept (they are kept " + KEEP_MS / 60_000 + " minutes after it ends, on the gateway that"
          + " ran it); GET it without stream=true"));
    }
    return run.log.read(after, EventBatch.WAIT_MS);
  }

  /** How many runs this gateway holds. */
  int size() {
    return runs.size();
  }

  /** One background generation: the client side of its link, and the channel its events go to. */
  static final class Run implements ClientLink, EventChannel {

    private final EventLog log;
    private final ResponseRun response;
    private final ResponseEvents events;
    private final OutputItems items;
    private final StreamOwner owner;
    private final Promise<Void> over = Promise.promise();
    private String abandoned;
    private Consumer<String> onAbandoned;
    private long keepTimer = -1;

    private Run(EventLog log, ResponseRun response, ResponsesRequest request, StreamOwner owner) {
      this.log = log;
      this.response = response;
      this.events = new ResponseEvents(log::append);
      this.items = new OutputItems(request.tools(), events);
      this.owner = owner;
      JsonObject queued = response.state("queued");
      events.state("response.created", queued);
      events.state("response.queued", queued);
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
      events.state("response.in_progress", response.state("in_progress"));
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
      end(abandoned != null ? response.cancelled(new JsonArray())
          : response.failed(error.type(), error.message(), new JsonArray()));
    }

    @Override
    public void transportFailed() {}

    @Override
    public Future<Void> send(StreamEvent event) {
      return switch (event) {
        case StreamEvent.Token t -> {
          items.add(t.token());
          yield Future.succeededFuture();
        }
        case StreamEvent.Done d -> end(response.finished(d.result(), items.finish(), items.reasoningTokens()));
        case StreamEvent.Failed f when f.type() == StreamErrorType.CANCELLED && abandoned != null ->
            end(response.cancelled(items.finish()));
        case StreamEvent.Failed f -> {
          ApiError e = ApiError.ofStream(f.type(), f.message());
          yield end(response.failed(e.type(), e.message(), items.finish()));
        }
      };
    }

    /** The last state, once stored, is the log's last event; then the run is over. */
    private Future<Void> end(Future<JsonObject> last) {
      return last.onComplete(ar -> {
        if (!log.ended()) {
          events.ended(ar.succeeded() ? ar.result() : response.state("failed"));
          log.end();
        }
        over.tryComplete();
      }).mapEmpty();
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
