package dev.tokenbus.gateway.api.responses;

import dev.tokenbus.gateway.dispatch.Dispatcher;
import dev.tokenbus.gateway.dispatch.EventBatch;
import dev.tokenbus.gateway.dispatch.StreamOwner;
import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.Generations;
import dev.tokenbus.gateway.serve.SseChannel;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Streams a background response's events to one client as SSE, from its {@link EventLog}
 * wherever the response runs (this gateway or another: {@link Dispatcher#readEventsWherever}),
 * one batch at a time: the next is asked for once the client's connection took the last, so a
 * client that does not read holds one batch on this gateway and nothing on the other. A client
 * that goes away ends its channel and stops the reads, and nothing else: the response goes on, as a background response
 * does. A refusal before the first event is an HTTP error; one after it (the events asked for were
 * dropped) is the API's {@code error} event, and the stream ends.
 */
final class LoggedEventsRelay {

  private final Dispatcher dispatcher;
  private final String sid;
  private final StreamOwner owner;
  private SseChannel sse;
  private long after;

  private LoggedEventsRelay(Dispatcher dispatcher, String sid, StreamOwner owner, long after) {
    this.dispatcher = dispatcher;
    this.sid = sid;
    this.owner = owner;
    this.after = after;
  }

  /** Streams the events after {@code after} (-1: all) of {@code owner}'s background response made under {@code sid}. */
  static void relay(RoutingContext ctx, Generations generations, String sid, StreamOwner owner, long after) {
    LoggedEventsRelay relay = new LoggedEventsRelay(generations.dispatcher(), sid, owner, after);
    generations.dispatcher().readEventsWherever(sid, owner, after).onComplete(ar -> {
      if (ar.failed()) {
        ApiError.of(ar.cause()).send(ctx.response());
        return;
      }
      relay.sse = generations.sse(ctx);
      // A client that leaves ends the channel (its keep-alive timer) at once, even while the relay waits.
      ctx.response().closeHandler(v -> relay.sse.close());
      relay.write(ar.result());
    });
  }

  private void write(EventBatch batch) {
    if (sse.isClosed()) {
      sse.close();
      return;
    }
    for (int i = 0; i < batch.events().size(); i++) {
      sse.event(batch.types().get(i), null, batch.events().get(i));
    }
    after += batch.events().size();
    if (batch.ended()) {
      sse.close();
    } else if (sse.writeQueueFull()) {
      sse.drainHandler(v -> next());
    } else {
      next();
    }
  }

  private void next() {
    if (sse.isClosed()) {
      sse.close();
      return;
    }
    dispatcher.readEventsWherever(sid, owner, after).onComplete(ar -> {
      if (ar.succeeded()) {
        write(ar.result());
        return;
      }
      if (!sse.isClosed()) {
        ApiError e = ApiError.of(ar.cause());
        sse.event("error", null, new JsonObject().put("type", "error").put("sequence_number", after + 1)
            .put("code", e.code()).put("message", e.message()).put("param", e.param()));
        sse.close();
      }
    });
  }
}
