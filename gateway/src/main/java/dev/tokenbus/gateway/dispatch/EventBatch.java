package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Some events of the log that a gateway keeps for work it runs with no client connected (the
 * Responses API's background responses), in order, as read by any gateway: a client that streams
 * such a response, or comes back to it after losing its connection, reads the log through the
 * gateway it reaches, which reads here at the gateway running the work ({@link Reader}, over the
 * event bus by the prefix of the work's stream id). Reads are pulled one batch at a time, the next
 * once the client took the last: a client that does not read holds one batch, never a queue.
 *
 * @param types each event's type (its SSE {@code event:} name)
 * @param events each event, encoded JSON, one SSE {@code data:} line
 * @param ended no event follows these, and none will
 */
public record EventBatch(List<String> types, List<String> events, boolean ended) {

  /** How long a read waits for an event to come before it answers with none. */
  public static final long WAIT_MS = 5_000;

  /** Most bytes of events one batch carries (at least one event). */
  public static final int MAX_BYTES = 64 * 1024;

  public EventBatch {
    if (types.size() != events.size()) {
      throw new IllegalArgumentException("one type per event");
    }
    types = List.copyOf(types);
    events = List.copyOf(events);
  }

  /** Reads a gateway's logs. */
  @FunctionalInterface
  public interface Reader {
    /**
     * The events after sequence number {@code after} (-1: from the first) of {@code owner}'s work
     * {@code sid}: at once when there are some, or when the log ended; else as soon as one comes,
     * or with none after {@link #WAIT_MS}. Fails with {@link StreamNotFoundException} when this
     * gateway keeps no such log for {@code owner} (never made, no longer kept, or another key's),
     * with {@link RequestValidationException} (param {@code starting_after}) when the events
     * asked for are no longer kept.
     */
    Future<EventBatch> read(String sid, StreamOwner owner, long after);
  }

  private static final String REFUSED = "refused", NOT_FOUND = "not_found", GONE = "starting_after";

  /** The answer to a read: this batch. */
  public JsonObject toJson() {
    return new JsonObject().put("types", new JsonArray(new ArrayList<>(types)))
        .put("events", new JsonArray(new ArrayList<>(events))).put("ended", ended);
  }

  /** The answer to a read that failed as {@link Reader#read} says; any other failure is the requester's to time out. */
  public static JsonObject refusal(Throwable cause) {
    String reason = cause instanceof RequestValidationException ? GONE : NOT_FOUND;
    return new JsonObject().put(REFUSED, reason).put("message", cause.getMessage());
  }

  /** A read's answer, as a batch or as the failure it stands for. */
  public static Future<EventBatch> fromJson(JsonObject json) {
    String refused = json.getString(REFUSED);
    if (refused != null) {
      String message = json.getString("message", "");
      return Future.failedFuture(GONE.equals(refused) ? new RequestValidationException("starting_after", message)
          : new StreamNotFoundException(message));
    }
    List<String> types = new ArrayList<>();
    List<String> events = new ArrayList<>();
    json.getJsonArray("types").forEach(t -> types.add((String) t));
    json.getJsonArray("events").forEach(e -> events.add((String) e));
    return Future.succeededFuture(new EventBatch(types, events, json.getBoolean("ended", false)));
  }
}
