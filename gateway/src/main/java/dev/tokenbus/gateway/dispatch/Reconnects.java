package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.protocol.frame.FrameJson;
import dev.tokenbus.protocol.frame.OpenFrame;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams whose client went away, kept for a grace period, and the claims that hand such a stream
 * to the gateway where its client came back. The gateway holding a resumable stream answers claims
 * on the stream's own address ({@link Addresses#streamClaims}), so a client may come back anywhere,
 * even to a gateway the stream already moved to once. A claim names the claiming client's
 * {@link StreamOwner}; the holder gives the stream up only to its owner, and only while it is parked.
 * Used on the client's context only.
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

  /** A claim's failure code for {@link StreamNotFoundException}. */
  private static final int NOT_FOUND = 404;
  /** A claim's failure code for {@link StreamInUseException}. */
  private static final int IN_USE = 409;

  private final Vertx vertx;
  private final long graceMs;
  private final long claimTimeoutMs;
  private final Holder holder;
  /** Parked streams by id, with the timer that cancels them when the grace period ends. */
  private final Map<String, Long> parked = new HashMap<>();

  Reconnects(Vertx vertx, long graceMs, long claimTimeoutMs, Holder holder) {
    this.vertx = vertx;
    this.graceMs = graceMs;
    this.claimTimeoutMs = claimTimeoutMs;
    this.holder = holder;
  }

  boolean enabled() {
    return graceMs > 0;
  }

  /** Answers claims for stream {@code sid} until the returned consumer is unregistered; null when disabled. */
  MessageConsumer<JsonObject> listen(String sid) {
    if (!enabled()) {
      return null;
    }
    return vertx.eventBus().consumer(Addresses.streamClaims(sid), m -> {
      try {
        StreamOwner claimer = StreamOwner.fromWire(m.body().getString("owner"));
        if (claimer == null) {
          throw StreamNotFoundException.unknown(sid); // a claim that names no owner owns nothing
        }
        m.reply(holder.giveUp(sid, m.body().getInteger("last_index", -1), claimer).toJson());
      } catch (StreamNotFoundException e) {
        m.fail(NOT_FOUND, e.getMessage());
      } catch (StreamInUseException e) {
        m.fail(IN_USE, e.getMessage());
      } catch (RuntimeException e) {
        LOG.warn("claim for stream {} failed", sid, e);
        m.fail(500, e.toString());
      }
    });
  }

  /**
   * Claims stream {@code sid} after token {@code last} for {@code claimer}: from this gateway when it
   * holds the stream, else over the bus. Fails like {@link Holder#giveUp}.
   */
  Future<Handover> claim(String sid, int last, StreamOwner claimer, boolean heldHere) {
    if (heldHere) {
      try {
        return Future.succeededFuture(holder.giveUp(sid, last, claimer));
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    JsonObject claim = new JsonObject().put("stream_id", sid).put("last_index", last).put("owner", claimer.wire());
    return vertx.eventBus().<JsonObject>request(Addresses.streamClaims(sid), claim,
        new DeliveryOptions().setSendTimeout(claimTimeoutMs)).map(Message::body).map(Handover::fromJson)
        .recover(e -> Future.failedFuture(refusal(sid, e)));
  }

  /** What a failed claim over the bus means, as the holder's exception. */
  private static Throwable refusal(String sid, Throwable e) {
    if (e instanceof ReplyException re && re.failureCode() == NOT_FOUND) {
      return new StreamNotFoundException(re.getMessage());
    }
    if (e instanceof ReplyException re && re.failureCode() == IN_USE) {
      return new StreamInUseException(sid);
    }
    if (e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
      return StreamNotFoundException.unknown(sid);
    }
    return e;
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
