package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.frame.FrameJson;
import dev.tokenbus.protocol.frame.OpenFrame;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams whose client went away, kept for a grace period, and the claims that hand such a stream
 * to the gateway where its client came back. The gateway holding a resumable stream answers the
 * claims for it ({@link WorkerLink#answerClaims}, on the stream's own address), so a client may come
 * back anywhere, even to a gateway the stream already moved to once. A claim names the claiming client's
 * {@link StreamOwner}; the holder gives the stream up only to its owner, and only while it is parked.
 * Used on the dispatcher's context only.
 */
final class Reconnects {

  private static final Logger LOG = LoggerFactory.getLogger(Reconnects.class);

  /** What the holder gives up: the OPEN to continue with (request, tokens to resume after) and the model. */
  record Handover(OpenFrame open, String model) {

    JsonObject toJson() {
      return new JsonObject().put("open", FrameJson.toJson(open)).put("model", model);
    }

    static Handover fromJson(JsonObject j) {
      return new Handover((OpenFrame) FrameJson.fromJson(j.getJsonObject("open")), j.getString("model"));
    }
  }

  /** The holder's side of a claim. */
  @FunctionalInterface
  interface Holder {
    /**
     * Gives up stream {@code sid} after token {@code last} to {@code claimer}.
     *
     * @throws StreamNotFoundException when it holds no such stream for {@code claimer}
     * @throws StreamInUseException when the stream is still attached to its client
     */
    Handover giveUp(String sid, int last, StreamOwner claimer);
  }

  private final Vertx vertx;
  private final WorkerLink link;
  private final long graceMs;
  private final long claimTimeoutMs;
  private final Holder holder;
  /** Parked streams by id, with the timer that cancels them when the grace period ends. */
  private final Map<String, Long> parked = new HashMap<>();

  /** @param vertx for the grace timers */
  Reconnects(Vertx vertx, WorkerLink link, long graceMs, long claimTimeoutMs, Holder holder) {
    this.vertx = vertx;
    this.link = link;
    this.graceMs = graceMs;
    this.claimTimeoutMs = claimTimeoutMs;
    this.holder = holder;
  }

  boolean enabled() {
    return graceMs > 0;
  }

  /** Answers claims for stream {@code sid} until the returned subscription is closed; null when disabled. */
  WorkerLink.Subscription listen(String sid) {
    return enabled() ? link.answerClaims(sid, holder) : null;
  }

  /**
   * Claims stream {@code sid} after token {@code last} for {@code claimer}: from this gateway when it
   * holds the stream, else through the link from the gateway that does. Fails like {@link Holder#giveUp}.
   */
  Future<Handover> claim(String sid, int last, StreamOwner claimer, boolean heldHere) {
    if (heldHere) {
      try {
        return Future.succeededFuture(holder.giveUp(sid, last, claimer));
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    return link.claim(sid, last, claimer, claimTimeoutMs);
  }

  /**
   * Keeps a stream whose client went away for the grace period, then cancels it; cancels it at
   * once when there is no grace period. Its consumer is detached already: the stream takes no
   * token, so its worker pauses once the window is used up.
   */
  void park(TokenStream s) {
    String sid = s.streamId();
    if (!enabled()) {
      s.cancel("client disconnected");
      return;
    }
    LOG.debug("stream {}: client gone; kept {} ms for a reconnect", sid, graceMs);
    parked.put(sid, vertx.setTimer(graceMs, id -> {
      parked.remove(sid);
      s.cancel("the client did not come back within " + graceMs + " ms");
    }));
  }

  boolean isParked(String sid) {
    return parked.containsKey(sid);
  }

  /** The stream ended or was claimed: no grace timer any more. */
  void unpark(String sid) {
    Long timer = parked.remove(sid);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }
}
