package dev.tokenbus.cluster;

import com.hazelcast.cluster.MembershipAdapter;
import com.hazelcast.cluster.MembershipEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts this node's event-bus subscriptions back in the cluster's directory when someone else
 * removed them. Hazelcast's membership is not authenticated: any process that reaches a cluster
 * port and knows the cluster name can remove entries of {@code __vertx.subs}, after which every
 * other node finds no handler at this node's addresses (NO_HANDLERS) although this node still
 * listens there; Vert.x does not put them back by itself.
 *
 * <p>A removal of an entry that names this node, or of an entry of unknown value, and a clear of
 * the whole map, are looked at {@value #DELAY_MS} ms later (a burst of removals is one repair): what
 * this node still has registered at those addresses and the directory lacks is put back, and
 * nothing else (idempotent; a registration the node removed itself is not put back). Every
 * {@value #AUDIT_MS} ms all of the node's addresses are compared too, for removals Hazelcast tells
 * nobody about ({@code MultiMap.delete}). Repairs are logged with their count, at most one line
 * every {@value #REPORT_MS} ms: as an INFO when members left the cluster shortly before (within
 * {@value #LOSS_MS} ms: entries whose partition and its backup were both on members that left are
 * lost with them, as when a partition cuts this node off from the others), else as a WARN (someone
 * removed them).
 */
public final class SubscriptionRepair {

  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionRepair.class);
  static final long DELAY_MS = 200;
  static final long AUDIT_MS = 5_000;
  static final long REPORT_MS = 10_000;
  static final long LOSS_MS = 2 * AUDIT_MS;

  private final Vertx vertx;
  private final Context context;
  private final String nodeId;
  private final VertxSubscriptions subs; // null: vertx-hazelcast's internals differ, nothing is repaired
  private final BooleanSupplier joined;
  private final Set<String> suspects = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean everything = new AtomicBoolean();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicLong checks = new AtomicLong();
  private final AtomicLong repaired = new AtomicLong();
  private final UUID listener;
  private final long auditTimer;
  private volatile long membersLostNanos;
  private volatile boolean paused;
  private volatile boolean closed;
  // Touched by checks only, which run one at a time.
  private long unreported;
  private int unreportedRounds;
  private long lastReportNanos;

  private SubscriptionRepair(Vertx vertx, String nodeId, VertxSubscriptions subs, BooleanSupplier joined) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.nodeId = nodeId;
    this.subs = subs;
    this.joined = joined;
    this.listener = subs == null ? null : subs.watch(nodeId, this::suspect, this::suspectEverything);
    this.auditTimer = subs == null ? -1 : vertx.setPeriodic(AUDIT_MS, id -> suspectEverything());
    this.lastReportNanos = System.nanoTime() - REPORT_MS * 1_000_000L;
    this.membersLostNanos = System.nanoTime() - LOSS_MS * 1_000_000L;
  }

  /**
   * Watches the subscriptions of the node that {@code manager} runs (once it joined). When
   * vertx-hazelcast's internals are not the known ones, logs that once and repairs nothing
   * ({@link #active()} is false).
   */
  static SubscriptionRepair start(Vertx vertx, HazelcastClusterManager manager) {
    SubscriptionRepair repair = new SubscriptionRepair(vertx, manager.getNodeId(), VertxSubscriptions.open(manager),
        manager::isActive);
    if (repair.subs != null) {
      manager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipAdapter() {
        @Override
        public void memberRemoved(MembershipEvent event) {
          repair.membersLostNanos = System.nanoTime();
        }
      });
    }
    return repair;
  }

  /** Whether this node's subscriptions are watched (false when vertx-hazelcast's internals differ). */
  public boolean active() {
    return subs != null && !closed;
  }

  /** Checks made so far (each looks at the suspect addresses, or at all of them). */
  public long checks() {
    return checks.get();
  }

  /** Subscriptions put back so far. */
  public long repaired() {
    return repaired.get();
  }

  /**
   * Stops putting subscriptions back until {@link #resume}: removals are still noted, and looked at
   * then. Lets a test observe a node whose subscriptions are gone.
   */
  public void pause() {
    paused = true;
  }

  /** Puts back at once whatever went missing while paused, and goes on watching. */
  public void resume() {
    paused = false;
    suspectEverything();
  }

  /**
   * Stops watching. A node that is leaving puts nothing back anyway (once its cluster manager is no
   * longer active, the entries others remove for it stay removed). The cluster-wide listener is
   * removed only while the node is still a member: a node that left lost it with its Hazelcast
   * instance, and asking a stopped instance to remove it waits, without end, for answers from
   * members it no longer reaches (a test run hung there once).
   */
  public void close() {
    closed = true;
    if (subs != null) {
      vertx.cancelTimer(auditTimer);
      if (!joined.getAsBoolean()) {
        return;
      }
      try {
        subs.unwatch(listener);
      } catch (RuntimeException e) {
        LOG.debug("subscription watch not removed: {}", e.toString());
      }
    }
  }

  private void suspect(String address) {
    suspects.add(address);
    schedule();
  }

  private void suspectEverything() {
    everything.set(true);
    schedule();
  }

  private void schedule() {
    if (subs != null && !closed && scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> vertx.setTimer(DELAY_MS, t -> {
        scheduled.set(false);
        if (closed) {
          return;
        }
        try {
          context.executeBlocking(() -> {
            check();
            return null;
          }, true).onFailure(e -> LOG.debug("subscription check failed: {}", e.toString()));
        } catch (RejectedExecutionException e) {
          // Vert.x is closing: its worker pool takes no more tasks, and a leaving node repairs nothing.
          LOG.debug("subscription check not run, Vert.x is closing: {}", e.toString());
        }
      }));
    }
  }

  /** Compares, and puts back what is missing; one at a time (ordered on the context). */
  private void check() {
    if (closed || paused || !joined.getAsBoolean()) {
      return;
    }
    boolean all = everything.getAndSet(false);
    Set<String> addresses = new HashSet<>(suspects);
    suspects.removeAll(addresses);
    Map<String, List<RegistrationInfo>> registered = subs.registered();
    Map<String, List<RegistrationInfo>> missing = missing(registered, all ? registered.keySet() : addresses,
        subs::published);
    int n = missing.isEmpty() ? 0 : subs.putBack(missing);
    checks.incrementAndGet();
    repaired.addAndGet(n);
    report(n);
  }

  /**
   * Of {@code registered} (address → this node's registrations there), those at {@code addresses}
   * that {@code published} (what the directory holds at an address) lacks.
   */
  static Map<String, List<RegistrationInfo>> missing(Map<String, List<RegistrationInfo>> registered,
      Collection<String> addresses, Function<String, List<RegistrationInfo>> published) {
    Map<String, List<RegistrationInfo>> out = new LinkedHashMap<>();
    for (String address : addresses) {
      List<RegistrationInfo> mine = registered.get(address);
      if (mine == null || mine.isEmpty()) {
        continue; // removed by this node itself
      }
      List<RegistrationInfo> there = published.apply(address);
      List<RegistrationInfo> lacking = new ArrayList<>();
      for (RegistrationInfo info : mine) {
        if (!there.contains(info)) {
          lacking.add(info);
        }
      }
      if (!lacking.isEmpty()) {
        out.put(address, lacking);
      }
    }
    return out;
  }

  private void report(int n) {
    if (n > 0) {
      unreported += n;
      unreportedRounds++;
    }
    long now = System.nanoTime();
    if (unreported > 0 && now - lastReportNanos >= REPORT_MS * 1_000_000L) {
      if (now - membersLostNanos < LOSS_MS * 1_000_000L) {
        LOG.info("{} event-bus subscriptions of this node were lost from the cluster directory ({}) with the members"
            + " that left the cluster, and are announced again", unreported, VertxSubscriptions.MAP);
      } else {
        LOG.warn("{} event-bus subscriptions of this node had been removed from the cluster directory ({}) by"
            + " another Hazelcast member or client and are announced again ({} repairs); if this repeats, a process"
            + " that is not a tokenbus node reaches the cluster port", unreported, VertxSubscriptions.MAP,
            unreportedRounds);
      }
      unreported = 0;
      unreportedRounds = 0;
      lastReportNanos = now;
    }
  }
}
