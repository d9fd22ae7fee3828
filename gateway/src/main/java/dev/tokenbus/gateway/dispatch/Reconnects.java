package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.frame.Handover;
import dev.tokenbus.protocol.frame.OpenFrame;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams whose client went away, kept for a grace period, and the claims that hand such a stream
 * to the gateway where its client came back. The gateway holding a resumable stream answers the
 * claims for it: on one address for all the streams it made ({@link WorkerLink#answerGatewayClaims},
 * named by the prefix of their ids, so that opening a stream registers nothing in the cluster's
 * directory), on the stream's own address for a stream another gateway made
 * ({@link WorkerLink#answerClaims}). A claim asks the gateway that made the stream first, and the
 * stream's own address when that gateway is gone or holds it no more. So a client may come back
 * anywhere, even to a gateway the stream already moved to once. A claim names the claiming client's
 * {@link StreamOwner}; the holder gives the stream up only to its owner, and only while it is parked.
 *
 * <p>A stream whose gateway died (killed, cut off) is kept by its worker instead: the OPEN of a
 * resumable stream tells the worker its owner and the grace period ({@link #resumable}), and the
 * worker keeps the stream paused and answers its claims on the worker's own claim address (again, should an answer be lost). So a
 * claim goes to the stream's address and to every known worker at once; the first handover wins
 * (were the gateway alive but cut from the worker, the worker's copy would have moved already: the
 * owner's claim gets whichever answers first, and the other copy is cancelled by its holder). With
 * no handover, the holding gateway's refusal is the answer. A client may come back before its
 * worker noticed its gateway died: a claim that no gateway answered (the dead one is still listed
 * at the stream's address, or just left it) is tried again for {@code claimTimeoutMs}, each try
 * waiting {@link #CLAIM_TRY_MS} at most for the gateway; one that found no handler at all only while a cluster
 * member left recently, so that an unknown stream id is answered at once otherwise.
 * Used on the dispatcher's context only.
 */
final class Reconnects {

  private static final Logger LOG = LoggerFactory.getLogger(Reconnects.class);

  /**
   * How long one try of a claim waits for the gateway at the stream's address, which answers from
   * memory at once: a dead one that is still listed there never answers. The workers' answers are
   * waited for as long as the claim may take: while the cluster settles after a member left, the
   * event bus can take seconds to route a message.
   */
  static final long CLAIM_TRY_MS = 500;
  /** How long a claim may take at most, tries included. */
  static final long CLAIM_PATIENCE_MS = 8000;
  /** Pause between two tries of a claim that got no answer. */
  static final long CLAIM_RETRY_MS = 50;

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
  /** The ids of the workers known now, whom a claim asks too. */
  private final Supplier<Collection<String>> workers;
  /** The prefix of the stream ids this gateway makes. */
  private final String prefix;
  private WorkerLink.Subscription ownClaims;
  /** Parked streams by id, with the timer that cancels them when the grace period ends. */
  private final Map<String, Long> parked = new HashMap<>();
  /** {@link System#nanoTime} when a cluster member last left; 0: none did. */
  private long memberLeftNanos;

  /**
   * @param vertx for the grace timers
   * @param claimTimeoutMs how long a claim may take, tries included ({@link #CLAIM_PATIENCE_MS} in a gateway)
   * @param workers the ids of the workers known now
   * @param prefix the prefix of the stream ids this gateway makes (see {@link StreamIds})
   */
  Reconnects(Vertx vertx, WorkerLink link, long graceMs, long claimTimeoutMs, Holder holder,
      Supplier<Collection<String>> workers, String prefix) {
    this.vertx = vertx;
    this.prefix = prefix;
    this.workers = workers;
    this.link = link;
    this.graceMs = graceMs;
    this.claimTimeoutMs = claimTimeoutMs;
    this.holder = holder;
  }

  boolean enabled() {
    return graceMs > 0;
  }

  /**
   * What the OPEN of a stream of {@code owner} tells its worker, so that the worker keeps the stream
   * for its client when this gateway goes away; null when disabled.
   */
  OpenFrame.Resumable resumable(StreamOwner owner) {
    return enabled() ? new OpenFrame.Resumable(owner.wire(), graceMs) : null;
  }

  /** A cluster member left: a stream it held may be on its way to a worker's hands, so claims are patient for a while. */
  void memberLeft() {
    memberLeftNanos = System.nanoTime();
  }

  /** Starts answering the claims for the streams this gateway makes, when enabled. */
  void start() {
    if (enabled()) {
      ownClaims = link.answerGatewayClaims(prefix, holder);
    }
  }

  /** Stops answering claims for this gateway's streams. */
  void stop() {
    if (ownClaims != null) {
      ownClaims.close();
      ownClaims = null;
    }
  }

  /**
   * Answers claims for stream {@code sid}, made by another gateway, until the returned subscription
   * is closed; null when disabled or when the stream is this gateway's own (answered already).
   */
  WorkerLink.Subscription listen(String sid) {
    return enabled() && !prefix.equals(StreamIds.prefixOf(sid)) ? link.answerClaims(sid, holder) : null;
  }

  /**
   * Claims stream {@code sid} after token {@code last} for {@code claimer}: from this gateway when it
   * holds the stream, else through the link from the gateway or worker that does (see the class
   * comment for the retries). Fails like {@link Holder#giveUp}.
   */
  Future<Handover> claim(String sid, int last, StreamOwner claimer, boolean heldHere) {
    if (heldHere) {
      try {
        return Future.succeededFuture(holder.giveUp(sid, last, claimer));
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    Promise<Handover> answer = Promise.promise();
    tryClaim(sid, last, claimer, System.nanoTime(), 1, answer);
    return answer.future();
  }

  private void tryClaim(String sid, int last, StreamOwner claimer, long since, int tries, Promise<Handover> answer) {
    long leftMs = Math.max(1, claimTimeoutMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since));
    Future<Handover> fromGateway = fromHolder(sid, last, claimer, Math.min(CLAIM_TRY_MS, leftMs));
    List<Future<Handover>> asked = new ArrayList<>();
    asked.add(fromGateway);
    for (String worker : workers.get()) {
      asked.add(link.claimParked(worker, sid, last, claimer, leftMs));
    }
    asked.forEach(f -> f.onSuccess(answer::tryComplete));
    Future.join(asked).onComplete(all -> {
      if (answer.future().isComplete()) {
        return;
      }
      // The holding gateway's refusal; else that of a worker that keeps the stream for this owner.
      String unknown = StreamNotFoundException.unknown(sid).getMessage();
      Throwable refusal = fromGateway.cause() instanceof WorkerLink.NoAnswer ? asked.stream().skip(1)
          .map(Future::cause).filter(e -> e instanceof StreamNotFoundException && !unknown.equals(e.getMessage()))
          .findFirst().orElse(fromGateway.cause()) : fromGateway.cause();
      if (!(refusal instanceof WorkerLink.NoAnswer none)) {
        answer.tryFail(refusal);
        return;
      }
      long now = System.nanoTime();
      long patience = TimeUnit.MILLISECONDS.toNanos(claimTimeoutMs);
      boolean holderMayComeUp = !none.noHandler() || memberLeftNanos != 0 && now - memberLeftNanos < patience;
      if (holderMayComeUp && now - since + TimeUnit.MILLISECONDS.toNanos(CLAIM_RETRY_MS) < patience) {
        vertx.setTimer(CLAIM_RETRY_MS, id -> tryClaim(sid, last, claimer, since, tries + 1, answer));
      } else {
        LOG.debug("stream {}: no holder answered {} claims ({})", sid, tries, none.getMessage());
        answer.tryFail(StreamNotFoundException.unknown(sid));
      }
    });
  }

  /**
   * Claims {@code sid} from the gateway that made it; where that gateway is gone, or holds it no
   * more, from the stream's own address (a gateway it moved to). When neither holds it, the maker's
   * refusal is the answer.
   */
  private Future<Handover> fromHolder(String sid, int last, StreamOwner claimer, long timeoutMs) {
    String maker = StreamIds.prefixOf(sid);
    if (maker == null) {
      return link.claim(sid, last, claimer, timeoutMs);
    }
    return link.claimFromGateway(maker, sid, last, claimer, timeoutMs).recover(first -> {
      boolean elsewhere = first instanceof StreamNotFoundException
          || first instanceof WorkerLink.NoAnswer none && none.noHandler();
      if (!elsewhere) {
        return Future.failedFuture(first);
      }
      return link.claim(sid, last, claimer, timeoutMs).recover(second ->
          Future.failedFuture(second instanceof WorkerLink.NoAnswer none && none.noHandler() ? first : second));
    });
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
