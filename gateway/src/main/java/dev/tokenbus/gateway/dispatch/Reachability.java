package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.frame.CreditFrame;
import dev.tokenbus.protocol.frame.FrameCodec;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workers a gateway still lists (they announce themselves) whose event-bus address has no handler:
 * their subscriptions vanished from the cluster's directory (removed by another Hazelcast member or
 * client, until their node puts them back). Such a worker is marked unreachable in the
 * {@link WorkerRegistry} and probed every {@value #PROBE_MS} ms at that address, with a CREDIT for
 * no stream (which a worker takes and ignores); it is reachable again as soon as a probe finds a
 * handler there, that is, fails with anything but NO_HANDLERS. Used on the client's context.
 */
final class Reachability {

  private static final Logger LOG = LoggerFactory.getLogger(Reachability.class);
  static final long PROBE_MS = 1_000;
  /** A probe that found a handler gets no answer (a CREDIT for no stream is not answered): this long, then it counts. */
  static final long PROBE_TIMEOUT_MS = 500;
  private static final String PROBE_STREAM = "tokenbus-reachability-probe";

  private final EventBus bus;
  private final WorkerRegistry registry;
  private final Runnable regained;
  private final Set<String> probing = new HashSet<>();
  private long lastProbeNanos = System.nanoTime() - PROBE_MS * 1_000_000L;

  /** @param regained runs when a worker is reachable again (queued requests may go to it) */
  Reachability(EventBus bus, WorkerRegistry registry, Runnable regained) {
    this.bus = bus;
    this.registry = registry;
    this.regained = regained;
  }

  /** Whether a failed request to a worker's address found no handler there. */
  static boolean noHandlers(Throwable failure) {
    return failure instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
  }

  /** A request to {@code workerId}'s address found no handler: the worker is not chosen until a probe finds one. */
  void lost(String workerId, String problem) {
    if (registry.unreachable(workerId, "no handler at its event-bus address (" + problem + ")")) {
      LOG.warn("worker {} is unreachable although it announces itself: no handler at its event-bus address;"
          + " not chosen until it answers again", workerId);
    }
  }

  /** Probes the unreachable workers, every {@value #PROBE_MS} ms. */
  void sweep(long nowNanos) {
    if (nowNanos - lastProbeNanos < PROBE_MS * 1_000_000L) {
      return;
    }
    lastProbeNanos = nowNanos;
    for (String workerId : registry.unreachable()) {
      if (probing.add(workerId)) {
        bus.request(workerId, new CreditFrame(PROBE_STREAM, 0), FrameCodec.options().setSendTimeout(PROBE_TIMEOUT_MS))
            .onComplete(ar -> {
              probing.remove(workerId);
              if ((ar.succeeded() || !noHandlers(ar.cause())) && registry.reachable(workerId)) {
                LOG.info("worker {} is reachable again", workerId);
                regained.run();
              }
            });
      }
    }
  }
}
