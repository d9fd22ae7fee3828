package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.WorkerStatus;
import dev.tokenbus.protocol.frame.CancelFrame;
import dev.tokenbus.protocol.frame.OpenFrame;
import io.vertx.core.Promise;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps streams alive when their worker is not: a stream whose worker shut down, left the cluster
 * or went silent moves to another worker of its model, which replays the prompt and the tokens
 * received so far and samples on; the consumer sees the stream go on with the next index. A stream
 * that cannot move (no other worker, moved too often, out of time) fails, and so does one whose
 * worker let its deadline pass. The new worker is the first that takes the leg among those the
 * {@link DispatchPolicy} names, the failed one left out. A worker is silent when none of its frames
 * came for its {@link InactivityLimits inactivity limit}, which grows on a link seen to hold frames
 * back, so that a worker that is only slow keeps its streams. A stream is heard from with each of
 * its frames and with each worker heartbeat of its worker (one per gateway and heartbeat period,
 * for all its streams here). Used on the dispatcher's context.
 */
final class Failover {

  private static final Logger LOG = LoggerFactory.getLogger(Failover.class);
  /** Why streams move: their worker left the cluster, went silent, or is shutting down. */
  static final List<StreamErrorType> MOVE_REASONS = List.of(StreamErrorType.WORKER_LOST,
      StreamErrorType.WORKER_UNRESPONSIVE, StreamErrorType.WORKER_SHUTDOWN);
  /** A stream moves to another worker at most this many times; then it fails with the last problem. */
  static final int MAX_MOVES = 3;
  /** A worker has this long past a stream's timeout_ms to end it with finish_reason timeout itself. */
  static final long DEADLINE_GRACE_MS = 1000;

  private final StreamTable table;
  private final WorkerRegistry registry;
  private final DispatchPolicy policy;
  private final WorkerLink link;
  private final InactivityLimits limits;
  /** When each worker's last worker heartbeat came ({@link System#nanoTime}). */
  private final Map<String, Long> workerHeard = new java.util.HashMap<>();
  private final Map<StreamErrorType, LongAdder> moves = new EnumMap<>(StreamErrorType.class);
  /**
   * The workers that may have listed streams here: those the last scan of the table found, and each
   * that accepted a stream since. While each of them is vouched for by its heartbeat, no stream can
   * be overdue, and the sweep does not go through the table.
   */
  private final Set<String> watched = new HashSet<>();
  /** The earliest deadline, grace included, of the streams the last scan found and of those accepted since. */
  private long nextDeadline;
  /** Whether the next sweep goes through the table whatever the workers and deadlines say. */
  private boolean scanDue = true;
  private long scans;
  private final BiConsumer<PendingOpen, List<WorkerStatus>> open;

  /**
   * @param open opens a leg on the first of the given workers that takes it (the dispatcher's dispatch)
   */
  Failover(StreamTable table, WorkerRegistry registry, DispatchPolicy policy, WorkerLink link, long inactivityMs,
      BiConsumer<PendingOpen, List<WorkerStatus>> open) {
    this.table = table;
    this.registry = registry;
    this.policy = policy;
    this.link = link;
    this.limits = new InactivityLimits(inactivityMs);
    for (StreamErrorType reason : MOVE_REASONS) {
      moves.put(reason, new LongAdder());
    }
    this.open = open;
  }

  /**
   * Moves {@code s} to another worker, or fails it with {@code type} when it cannot move. Does
   * nothing for a stream that is moving already or has ended.
   */
  void move(TokenStream s, StreamErrorType type, String problem) {
    move(s, type, problem, null);
  }

  /**
   * As {@link #move(TokenStream, StreamErrorType, String)}, trying {@code preferred} first when it is
   * among the candidates: the worker that adopted the stream's KV state from a draining one, which
   * continues it without recomputing (any other worker replays).
   */
  void move(TokenStream s, StreamErrorType type, String problem, String preferred) {
    Route r = table.route(s.streamId());
    if (r == null || r.moving || s.isFinished()) {
      return;
    }
    String failed = s.workerEndpoint();
    if (failed != null) {
      // Best effort: a worker that is only slow must not go on generating for nobody.
      link.send(failed, new CancelFrame(r.wire, "moved to another worker: " + problem));
      registry.remove(failed); // it comes back with its next announcement if it is alive
    }
    long remainingMs = TimeUnit.NANOSECONDS.toMillis(r.deadlineNanos - System.nanoTime());
    List<WorkerStatus> candidates = preferredFirst(policy.candidates(r.request, registry.eligible(r.model).stream()
        .filter(c -> !c.workerId().equals(failed)).toList()), preferred);
    String cannot = r.moves >= MAX_MOVES ? "it moved " + r.moves + " times already"
        : remainingMs <= 0 ? "timeout_ms has elapsed"
        : candidates.isEmpty() ? "no other worker serves its model" : null;
    if (cannot != null) {
      s.fail(candidates.isEmpty() ? StreamErrorType.NO_WORKER : type, problem + "; the stream cannot move: " + cannot);
      return;
    }
    moves.get(type).increment();
    String wire = table.nextLeg(s.streamId());
    List<Integer> received = s.receivedTokenIds();
    LOG.warn("stream {}: {}; moving it to another worker after {} tokens", s.streamId(), problem, received.size());
    s.setWorker(null, null);
    GenerationRequest request = r.request.withConfig(r.request.config().withRemainingTimeout(r.deadlineNanos,
        System.nanoTime()));
    // The new worker may send what the stream's buffer still has room for.
    int window = Math.max(1, s.window() - s.bufferedTokens());
    long now = System.nanoTime();
    PendingOpen leg = new PendingOpen(s, new OpenFrame(wire, link.endpoint(), link.nodeId(), window, request, received,
        r.resumable), r.model, Promise.promise(), now, r.deadlineNanos, true);
    leg.opened().future().onComplete(ar -> {
      r.moving = false;
      if (ar.failed()) {
        s.fail(StreamErrorType.NO_WORKER, problem + "; moving the stream failed: " + ar.cause().getMessage());
      } else {
        LOG.info("stream {} moved to {} in {} ms", s.streamId(), s.workerEndpoint(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - now));
      }
    });
    open.accept(leg, candidates);
  }

  private static List<WorkerStatus> preferredFirst(List<WorkerStatus> candidates, String preferred) {
    if (preferred == null) {
      return candidates;
    }
    List<WorkerStatus> out = new java.util.ArrayList<>(candidates.size());
    candidates.stream().filter(c -> c.workerId().equals(preferred)).forEach(out::add);
    candidates.stream().filter(c -> !c.workerId().equals(preferred)).forEach(out::add);
    return out;
  }

  /**
   * Worker {@code worker} accepted a leg of a stream whose deadline is {@code deadlineNanos}: the
   * sweep watches the worker's heartbeats and the deadline from now on.
   */
  void accepted(String worker, long deadlineNanos) {
    watched.add(worker);
    long due = deadlineNanos + TimeUnit.MILLISECONDS.toNanos(DEADLINE_GRACE_MS);
    if (due - nextDeadline < 0) {
      nextDeadline = due;
    }
  }

  /** How many sweeps went through the table (for tests: most sweeps of a steady cluster do not). */
  long scans() {
    return scans;
  }

  /** A frame of {@code s} came from its worker at {@code now}: before the stream takes it. */
  void heard(TokenStream s, long now) {
    if (s.workerEndpoint() != null) {
      limits.gap(s.workerEndpoint(), now - lastHeard(s), now);
    }
  }

  /**
   * Worker heartbeat number {@code beat} of {@code worker} came at {@code now}: each of its streams
   * here was heard from. The gap since the one before counts toward the worker's inactivity limit
   * only when the worker sent that one right before (a first heartbeat follows a time with no stream
   * on the worker, not a slow link).
   */
  void workerHeard(String worker, int beat, long now) {
    Long before = workerHeard.put(worker, now);
    if (before != null && beat > 1) {
      limits.gap(worker, now - before, now);
    }
  }

  /** When stream {@code s} was last heard from: its own last frame, or its worker's last heartbeat. */
  private long lastHeard(TokenStream s) {
    Long beat = workerHeard.get(s.workerEndpoint());
    return beat == null || s.lastActivityNanos() - beat > 0 ? s.lastActivityNanos() : beat;
  }

  /** Streams moved for {@code reason} (one of {@link #MOVE_REASONS}) since the start; any thread. */
  long moves(StreamErrorType reason) {
    return moves.get(reason).sum();
  }

  /**
   * The liveness sweep: moves every stream whose worker sent neither token nor heartbeat for its
   * inactivity limit, and fails every stream whose deadline (grace included) has passed. It goes
   * through the table only when one of the {@link #watched} workers is not vouched for by a recent
   * heartbeat, or the earliest deadline passed: with 10,000 streams a walk of the table took about
   * 5 ms of the event loop (a few cache misses a stream), ten times a second, in front of every
   * token that came meanwhile. Each walk starts the watch again from what it finds.
   */
  void sweep(long now) {
    limits.prune(now);
    long forgotten = now - TimeUnit.SECONDS.toNanos(InactivityLimits.WINDOW_S);
    workerHeard.values().removeIf(t -> t - forgotten < 0); // workers gone long since
    if (!scanDue && now - nextDeadline <= 0 && watched.stream().allMatch(w -> vouched(w, now))) {
      return;
    }
    scanDue = false;
    scans++;
    watched.clear();
    nextDeadline = now + FAR;
    long grace = TimeUnit.MILLISECONDS.toNanos(DEADLINE_GRACE_MS);
    // Each worker's limit, worked out once a sweep; a worker whose heartbeat came within it vouches for
    // all its streams, so that with thousands of streams most cost one lookup here, and nothing is copied.
    Map<String, Long> limitOf = new java.util.HashMap<>();
    table.forEachListed(r -> {
      TokenStream s = r.stream;
      String worker = s.workerEndpoint();
      if (s.isFinished() || r.moving || worker == null) {
        return; // a first leg being opened has no worker to be unresponsive yet: its OPEN times out on its own
      }
      Long limit = limitOf.get(worker);
      if (limit == null) {
        long l = limits.limitNanos(worker, now);
        limit = vouched(worker, now) ? VOUCHED : l;
        limitOf.put(worker, limit);
        watched.add(worker);
      }
      if (r.deadlineNanos + grace - nextDeadline < 0) {
        nextDeadline = r.deadlineNanos + grace;
      }
      if (limit != VOUCHED && now - s.lastActivityNanos() > limit) {
        move(s, StreamErrorType.WORKER_UNRESPONSIVE, "no token or heartbeat from worker " + worker + " for "
            + TimeUnit.NANOSECONDS.toMillis(limit) + " ms");
      } else if (now - (r.deadlineNanos + grace) > 0) {
        // The worker should have ended it with finish_reason timeout; end it here and cancel there.
        s.fail(StreamErrorType.TIMEOUT, "timeout_ms elapsed and the worker did not end the stream");
      }
    });
  }

  /** In a sweep: the worker's last heartbeat is within its limit, so each of its streams was heard in time. */
  private static final long VOUCHED = -1;
  /** Later than any deadline (a stream without timeout_ms has one some decades away). */
  private static final long FAR = Long.MAX_VALUE / 2;

  /** Whether {@code worker}'s last heartbeat came within its inactivity limit. */
  private boolean vouched(String worker, long now) {
    Long beat = workerHeard.get(worker);
    return beat != null && now - beat <= limits.limitNanos(worker, now);
  }

  /** Moves every stream of a cluster member that left. */
  void nodeLeft(String node) {
    registry.removeNode(node);
    for (Route r : table.snapshot()) {
      TokenStream s = r.stream;
      if (node.equals(s.workerNode()) && !s.isFinished()) {
        move(s, StreamErrorType.WORKER_LOST, "worker " + s.workerEndpoint() + " left the cluster");
      }
    }
  }
}
