package dev.tokenbus.worker;

import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.protocol.frame.Handover;
import dev.tokenbus.protocol.frame.OpenFrame;
import dev.tokenbus.protocol.frame.StreamClaim;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumable streams whose gateway is gone (unreachable, or its node left the cluster), kept for
 * their client. A parked stream is paused (the engine decodes nothing for it; its slot and KV cells
 * stay) for the grace period its OPEN named, and its claims are answered here, on the worker's claim
 * address ({@link Addresses#workerClaims}), as its gateway answered them: only a claim that names the stream's owner takes it, and
 * gets a {@link Handover} with the request, its remaining timeout and the ids of the tokens up to the
 * last one its client received, and the claiming gateway opens the new leg. The stream stays parked
 * meanwhile, so that a claim whose answer was lost or late can be answered again, until a new leg of
 * it opens on this worker ({@link #superseded}: it is cancelled then, and its cells stay in the
 * prefix cache, so the new leg prefills little) or the grace period ends (it is cancelled then,
 * claimed or not). At most one parked stream per slot.
 * Used on the worker verticle's context, except {@link #size}.
 */
final class ParkedStreams {

  private static final Logger LOG = LoggerFactory.getLogger(ParkedStreams.class);

  private record Parked(WorkerStream stream, long timer) {}

  private final Vertx vertx;
  private final String model;
  /** By wire id. Changed on the context; concurrent for {@link #size}. */
  private final Map<String, Parked> parked = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> claims;

  /** @param model the model name the worker serves, which a handover names */
  ParkedStreams(Vertx vertx, String model) {
    this.vertx = vertx;
    this.model = model;
  }

  /** Answers claims on worker {@code endpoint}'s claim address from now on; completes once registered. */
  Future<Void> start(String endpoint) {
    claims = vertx.eventBus().consumer(Addresses.workerClaims(endpoint), this::answer);
    return claims.completion();
  }

  Future<Void> stop() {
    return claims == null ? Future.succeededFuture() : claims.unregister();
  }

  /**
   * Parks {@code s} because its gateway is gone ({@code why}), if it is resumable; does nothing for a
   * stream parked already.
   *
   * @return whether it is parked now; false for a stream that is not resumable, which the caller cancels
   */
  boolean park(WorkerStream s, String why) {
    OpenFrame.Resumable resumable = s.open.resumable();
    if (resumable == null) {
      return false;
    }
    if (s.isParked()) {
      return true;
    }
    s.park();
    String sid = s.clientStreamId();
    LOG.info("stream {}: {}; paused for {} ms for its client to resume it through another gateway", sid, why,
        resumable.graceMs());
    long timer = vertx.setTimer(resumable.graceMs(), id -> {
      LOG.info("stream {}: kept {} ms for a resume; cancelling", sid, resumable.graceMs());
      release(s);
      s.cancel();
    });
    parked.put(s.streamId, new Parked(s, timer));
    return true;
  }

  /** A new leg of client stream {@code sid} opens here: a stream of that id parked here is done with. */
  void superseded(String sid) {
    for (Parked p : List.copyOf(parked.values())) {
      if (p.stream.clientStreamId().equals(sid)) {
        release(p.stream);
        p.stream.cancel();
      }
    }
  }

  /** The stream ended (cancelled, or its deadline passed): it answers no claim any more. */
  void ended(WorkerStream s) {
    release(s);
  }

  /** How many streams are parked now; any thread. */
  int size() {
    return parked.size();
  }

  private void release(WorkerStream s) {
    Parked p = parked.remove(s.streamId);
    if (p != null) {
      vertx.cancelTimer(p.timer);
    }
  }

  private void answer(Message<JsonObject> m) {
    StreamClaim claim = StreamClaim.fromJson(m.body());
    String sid = claim.streamId();
    WorkerStream s = parked.values().stream().map(Parked::stream).filter(p -> p.clientStreamId().equals(sid))
        .findFirst().orElse(null);
    if (s == null || claim.owner() == null || claim.lastIndex() < -1 || !sameOwner(claim.owner(), s.open.resumable().owner())) {
      m.fail(StreamClaim.NOT_FOUND, StreamClaim.unknown(sid));
      return;
    }
    List<Integer> ids = s.tokenIds();
    if (claim.lastIndex() + 1 > ids.size()) {
      m.fail(StreamClaim.NOT_FOUND, StreamClaim.tooFewTokens(sid, ids.size(), claim.lastIndex()));
      return;
    }
    var request = s.open.request();
    OpenFrame open = new OpenFrame(sid, null, null, s.open.window(),
        request.withConfig(request.config().withRemainingTimeout(s.deadlineNanos, System.nanoTime())),
        ids.subList(0, claim.lastIndex() + 1));
    LOG.info("stream {}: handed to the gateway its client came back to, after token {}", sid, claim.lastIndex());
    m.reply(new Handover(open, model).toJson());
  }

  /** Compared in constant time, as the gateway compares owners. */
  private static boolean sameOwner(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
