package dev.tokenbus.gateway.api.responses;

import dev.tokenbus.gateway.dispatch.EventBatch;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The events of one background response, in order (event {@code n} is the one whose
 * {@code sequence_number} is {@code n}), for the clients that stream it from its start or from
 * {@code starting_after}, through any gateway. Bounded: past {@link #MAX_BYTES} of events the
 * oldest are dropped (a read from before them is refused, the later ones stay readable). Readers
 * pull ({@link #read}); one waiting for the next event holds a promise and a timer, nothing else.
 * Used on the gateway's event loop.
 */
final class EventLog {

  /** Most bytes of encoded events a log keeps. */
  static final long MAX_BYTES = 8L * 1024 * 1024;

  private record Entry(String type, String event) {}

  private final Vertx vertx;
  private final String responseId;
  /** The entries kept are those from {@link #head} on; the one at {@code head} is event {@link #first}. */
  private final ArrayList<Entry> entries = new ArrayList<>();
  private int head;
  private long first;
  private long bytes;
  private boolean ended;
  private List<Promise<Void>> waiting = new ArrayList<>();

  private final long maxBytes;

  EventLog(Vertx vertx, String responseId) {
    this(vertx, responseId, MAX_BYTES);
  }

  /** @param maxBytes most bytes of events kept */
  EventLog(Vertx vertx, String responseId, long maxBytes) {
    this.vertx = vertx;
    this.responseId = responseId;
    this.maxBytes = maxBytes;
  }

  /** Characters of events kept (about their bytes: the events are JSON, mostly ASCII). */
  long bytes() {
    return bytes;
  }

  /** Appends the next event, as {@link ResponseEvents.Sink}. */
  Future<Void> append(String type, JsonObject event) {
    if (ended) {
      throw new IllegalStateException("the log of " + responseId + " ended");
    }
    Entry e = new Entry(type, event.encode());
    entries.add(e);
    bytes += size(e);
    while (bytes > maxBytes && entries.size() - head > 1) {
      bytes -= size(entries.set(head++, null));
      first++;
    }
    if (head > 1024 && head > entries.size() / 2) {
      entries.subList(0, head).clear();
      head = 0;
    }
    wake();
    return Future.succeededFuture();
  }

  /** No event follows. */
  void end() {
    ended = true;
    wake();
  }

  boolean ended() {
    return ended;
  }

  /** Sequence number of the next event. */
  long next() {
    return first + entries.size() - head;
  }

  /**
   * The events after {@code after}, at most {@link EventBatch#MAX_BYTES} of them (at least one): at
   * once when there are some or the log ended, else as soon as one comes or, with none, after
   * {@code waitMs}. Refused when events after {@code after} were dropped already, and when
   * {@code after} is past the last event so far (no client can have seen it).
   */
  Future<EventBatch> read(long after, long waitMs) {
    if (after + 1 != next() || ended) {
      return now(after);
    }
    Promise<Void> woken = Promise.promise();
    waiting.add(woken);
    long timer = vertx.setTimer(waitMs, t -> woken.tryComplete());
    return woken.future().compose(v -> {
      vertx.cancelTimer(timer);
      waiting.remove(woken);
      return now(after);
    });
  }

  private Future<EventBatch> now(long after) {
    if (after >= next()) {
      return Future.failedFuture(new RequestValidationException("starting_after", "starting_after " + after
          + " is past the last event of response " + responseId + " so far (" + (next() - 1) + ")"));
    }
    if (after + 1 < first) {
      return Future.failedFuture(new RequestValidationException("starting_after", "the events of response "
          + responseId + " up to " + (first - 1) + " are no longer kept (a response keeps its last "
          + maxBytes / 1024 + " KiB of events); stream it from starting_after " + (first - 1)
          + " or later, or GET it whole"));
    }
    return Future.succeededFuture(batch(after));
  }

  private EventBatch batch(long after) {
    List<String> types = new ArrayList<>();
    List<String> events = new ArrayList<>();
    int taken = 0;
    for (int i = (int) Math.min(entries.size(), head + (after + 1 - first)); i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (!events.isEmpty() && taken + size(e) > EventBatch.MAX_BYTES) {
        return new EventBatch(types, events, false);
      }
      types.add(e.type);
      events.add(e.event);
      taken += size(e);
    }
    return new EventBatch(types, events, ended);
  }

  private void wake() {
    if (waiting.isEmpty()) {
      return;
    }
    List<Promise<Void>> woken = waiting;
    waiting = new ArrayList<>();
    woken.forEach(Promise::tryComplete);
  }

  private static long size(Entry e) {
    return e.type.length() + e.event.length() + 32L;
  }
}
