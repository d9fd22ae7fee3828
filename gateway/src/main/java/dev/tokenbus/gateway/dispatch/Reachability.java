package dev.tokenbus.gateway.dispatch;

import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workers a gateway still lists (they announce themselves) whose event-bus address has no handler:
 * their subscriptions vanished from the cluster's directory (removed by another Hazelcast member or
 * client, until their node puts them back). Such a worker is marked unreachable in the
 * {@link WorkerRegistry} and probed every {@value #PROBE_MS} ms at that address
 * ({@link WorkerLink#probe}); it is reachable again as soon as a probe finds a handler there. Used
 * on the dispatcher's context.
 */
final class Reachability {

  private static final Logger LOG = LoggerFactory.getLogger(Reachability.class);
  static final long PROBE_MS = 1_000;
  /** A probe that found a handler may get no answer (the worker ignores it): this long, then it counts. */
  static final long PROBE_TIMEOUT_MS = 500;

  private final WorkerLink link;
  private final WorkerRegistry registry;
  private final Runnable regained;
  private final Set<String> probing = new HashSet<>();
  private long lastProbeNanos = System.nanoTime() - PROBE_MS * 1_000_000L;

  /** @param regained runs when a worker is reachable again (queued requests may go to it) */
  Reachability(WorkerLink link, WorkerRegistry registry, Runnable regained) {
    this.link = link;
    this.registry = registry;
    this.regained = regained;
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
        link.probe(workerId, PROBE_TIMEOUT_MS).onComplete(ar -> {
          probing.remove(workerId);
          if (ar.succeeded() && ar.result() && registry.reachable(workerId)) {
            LOG.info("worker {} is reachable again", workerId);
            regained.run();
          }
        });
      }
    }
  }
}
