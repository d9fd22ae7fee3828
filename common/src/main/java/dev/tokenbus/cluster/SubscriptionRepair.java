package dev.tokenbus.cluster;

import com.hazelcast.cluster.MembershipAdapter;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.core.LifecycleEvent.LifecycleState;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.NodeInfo;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts this node's entries back in the cluster's directory when someone else removed them: its
 * event-bus subscriptions ({@code __vertx.subs}) and its event-bus host and port
 * ({@code __vertx.nodeInfo}). Hazelcast's membership is not authenticated: any process that reaches
 * a cluster port and knows the cluster name can remove entries of {@code __vertx.subs}, after which
 * every other node finds no handler at this node's addresses (NO_HANDLERS) although this node still
 * listens there; Vert.x does not put them back by itself. The node's {@code __vertx.nodeInfo} entry
 * goes the same way after a split-brain merge: the members of the other side remove it when they see
 * this node leave, and a member slow to handle that removal does so after this node, merged, put it
 * back; a node that joins then cannot connect to this one ("Not a member of the cluster") until the
 * entry is back. vertx-hazelcast puts it back only when this node sees a member leave.
 *
 * <p>A removal of an entry that names this node, or of an entry of unknown value, of the node's
 * {@code __vertx.nodeInfo} entry, and a clear of either map, are looked at {@value #DELAY_MS} ms
 * later (a burst of removals is one repair): what this node still has registered at those addresses
 * and the directory lacks is put back, and nothing else (idempotent; a registration the node removed
 * itself is not put back), and so is the node's {@code __vertx.nodeInfo} entry when it is missing
 * (through the cluster manager's own {@code setNodeInfo}). Every {@value #AUDIT_MS} ms all of them
 * are compared too, for removals Hazelcast tells nobody about ({@code MultiMap.delete}). Repairs are
 * logged with their count, at most one line every {@value #REPORT_MS} ms: as an INFO while this node
 * merges after a partition, or when members left the cluster or the node merged shortly before
 * (within {@value #LOSS_MS} ms): entries whose partition and its backup were both on members that
 * left are lost with them, and the other side of a healed partition removes this node's entries as
 * it catches up. Else as a WARN: someone removed them.
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
  private final HazelcastClusterManager manager;
  private final BooleanSupplier joined;
  private final Set<String> suspects = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean everything = new AtomicBoolean();
  private final AtomicBoolean nodeInfoSuspect = new AtomicBoolean();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicLong checks = new AtomicLong();
  private final AtomicLong repaired = new AtomicLong();
  private final UUID listener;
  private final UUID nodeInfoListener;
  private final long auditTimer;
  private volatile long membersLostNanos;
  private volatile boolean merging;
  private volatile boolean paused;
  private volatile boolean closed;
  // Touched by checks only, which run one at a time.
  private long unreported;
  private int unreportedRounds;
  private long lastReportNanos;

  private SubscriptionRepair(Vertx vertx, HazelcastClusterManager manager, VertxSubscriptions subs) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.nodeId = manager.getNodeId();
    this.subs = subs;
    this.manager = manager;
    this.joined = manager::isActive;
    this.listener = subs == null ? null : subs.watch(nodeId, this::suspect, this::suspectEverything);
    this.nodeInfoListener = subs == null ? null : subs.watchNodeInfo(nodeId, this::suspectNodeInfo);
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
    SubscriptionRepair repair = new SubscriptionRepair(vertx, manager, VertxSubscriptions.open(manager));
    if (repair.subs != null) {
      manager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipAdapter() {
        @Override
        public void memberRemoved(MembershipEvent event) {
          repair.membersLostNanos = System.nanoTime();
        }
      });
      manager.getHazelcastInstance().getLifecycleService().addLifecycleListener(event -> {
        // The other side removes this node's entries as it catches up, during the merge and shortly after.
        switch (event.getState()) {
          case MERGING -> repair.merging = true;
          case MERGED, MERGE_FAILED -> {
            repair.merging = false;
            repair.membersLostNanos = System.nanoTime();
          }
          default -> { }
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

  /** Entries put back so far: subscriptions, and the node's event-bus host and port. */
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
        subs.unwatchNodeInfo(nodeInfoListener);
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

  private void suspectNodeInfo() {
    nodeInfoSuspect.set(true);
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
    boolean nodeInfo = nodeInfoSuspect.getAndSet(false) || all;
    Set<String> addresses = new HashSet<>(suspects);
    suspects.removeAll(addresses);
    Map<String, List<RegistrationInfo>> registered = subs.registered();
    Map<String, List<RegistrationInfo>> missing = missing(registered, all ? registered.keySet() : addresses,
        subs::published);
    int n = missing.isEmpty() ? 0 : subs.putBack(missing);
    if (nodeInfo && putBackNodeInfo()) {
      n++;
    }
    checks.incrementAndGet();
    repaired.addAndGet(n);
    report(n);
  }

  /**
   * Puts the node's event-bus host and port back in {@code __vertx.nodeInfo} when the entry is
   * missing, through the cluster manager (which writes the same value on its own occasions, so a
   * race with it is harmless); nothing before the node published it first.
   */
  private boolean putBackNodeInfo() {
    NodeInfo info = manager.getNodeInfo();
    if (info == null || subs.nodeInfoPublished(nodeId)) {
      return false;
    }
    Promise<Void> put = Promise.promise();
    manager.setNodeInfo(info, put);
    try {
      put.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      LOG.debug("node info not put back: {}", e.toString());
      suspectNodeInfo(); // looked at again shortly
      return false;
    }
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
      if (merging || now - membersLostNanos < LOSS_MS * 1_000_000L) {
        LOG.info("{} entries of this node (event-bus subscriptions, its event-bus address) were lost from the cluster"
            + " directory ({}, {}) with the members that left the cluster or in a partition's merge, and are announced again", unreported,
            VertxSubscriptions.MAP, VertxSubscriptions.NODE_INFO_MAP);
      } else {
        LOG.warn("{} entries of this node (event-bus subscriptions, its event-bus address) had been removed from the"
            + " cluster directory ({}, {}) by another Hazelcast member or client and are announced again ({} repairs);"
            + " if this repeats, a process that is not a tokenbus node reaches the cluster port", unreported, VertxSubscriptions.MAP,
            VertxSubscriptions.NODE_INFO_MAP, unreportedRounds);
      }
      unreported = 0;
      unreportedRounds = 0;
      lastReportNanos = now;
    }
  }
}
