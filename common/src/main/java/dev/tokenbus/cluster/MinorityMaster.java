package dev.tokenbus.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.internal.cluster.impl.ClusterServiceImpl;
import com.hazelcast.spi.properties.ClusterProperty;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a Hazelcast master that is cut off from most of its cluster leave it, so that the members
 * that still reach each other stay one cluster.
 *
 * <p>Hazelcast's master (the oldest member) alone decides the member list: it removes every member
 * it has heard no heartbeat from for {@code hazelcast.max.no.heartbeat.seconds}, however many other
 * members still hear it, and the others accept another master only once they too suspect the old one.
 * Hazelcast's partial-disconnection resolution ({@code hazelcast.partial.member.disconnection.
 * resolution.*}) does not change that: it weighs only the reports of the other members about each
 * other. So a gateway that is master and is cut from every worker, but not from the other gateway,
 * would remove every worker from the whole cluster, and the other gateway would lose them too.
 *
 * <p>Instead, while this node is the master it looks every {@value #CHECK_MS} ms at the last
 * heartbeat of every other member. When the members silent for {@value #SILENT_PERCENT}% of the
 * heartbeat timeout are at least as many as those it still hears, itself included, and it still hears
 * at least one (alone, it has nobody to leave the cluster to), it leaves the cluster before it would
 * remove them, and joins again through a member it still hears: the others then suspect it, the next
 * oldest member becomes the master, and the cut members are judged by a master that still hears
 * them. This node is let in again only if the new master reaches it; otherwise it forms a cluster of
 * its own, and Hazelcast's split-brain merge brings it back once the network heals. Leaving and
 * joining again is Hazelcast's own merge (the MERGING and MERGED lifecycle events, which Vert.x and
 * {@link HazelcastMembership} already handle).
 */
final class MinorityMaster {

  private static final Logger LOG = LoggerFactory.getLogger(MinorityMaster.class);
  static final long CHECK_MS = 500;
  /** Silent this share of the heartbeat timeout: well before the master would remove the member. */
  static final int SILENT_PERCENT = 60;

  private final HazelcastInstance hz;
  private final long silentMs;
  /** Until then, this node is leaving the cluster and joining again: no other check. */
  private volatile long leavingUntil;

  private MinorityMaster(HazelcastInstance hz, long silentMs) {
    this.hz = hz;
    this.silentMs = silentMs;
  }

  /** Starts the watch on {@code vertx}'s timers; does nothing where the instance is not a plain member. */
  static void watch(Vertx vertx, HazelcastInstance hz) {
    Node node = node(hz);
    if (node == null) {
      LOG.warn("cluster: Hazelcast's internals differ from what this build expects; a master cut off from most of"
          + " its cluster is not made to leave it");
      return;
    }
    long timeout = node.getProperties().getMillis(ClusterProperty.MAX_NO_HEARTBEAT_SECONDS);
    MinorityMaster m = new MinorityMaster(hz, timeout * SILENT_PERCENT / 100);
    vertx.setPeriodic(CHECK_MS, t -> {
      try {
        vertx.executeBlocking(() -> {
          m.check();
          return null;
        }, false);
      } catch (RejectedExecutionException e) {
        vertx.cancelTimer(t); // Vert.x is closing: its worker pool takes no more tasks
      }
    });
  }

  private void check() {
    Node node = node(hz);
    if (node == null || !node.isRunning()) {
      return;
    }
    long now = System.currentTimeMillis();
    ClusterServiceImpl cluster = node.getClusterService();
    if (now < leavingUntil || !cluster.isJoined() || !cluster.isMaster()) {
      return;
    }
    List<Member> heard = new ArrayList<>();
    List<Member> silent = new ArrayList<>();
    for (Member m : cluster.getMembers()) {
      if (m.localMember()) {
        continue;
      }
      long last = cluster.getClusterHeartbeatManager().getLastHeartbeatTime(m);
      (last > 0 && now - last >= silentMs ? silent : heard).add(m);
    }
    if (heard.isEmpty() || silent.size() < heard.size() + 1) {
      return;
    }
    Member via = heard.get(0);
    LOG.warn("cluster partition: this node is the cluster's master and has heard nothing for {} ms from {} of the {}"
        + " other members ({}) but still hears {}; it leaves the cluster, so that the members that reach each other"
        + " stay one cluster, and joins again through {}", silentMs, silent.size(), silent.size() + heard.size(),
        addresses(silent), addresses(heard), via.getAddress());
    leavingUntil = now + silentMs * 100 / SILENT_PERCENT;
    cluster.merge(via.getAddress());
  }

  private static String addresses(List<Member> members) {
    return String.join(", ", members.stream().map(m -> m.getAddress().toString()).toList());
  }

  private static Node node(HazelcastInstance hz) {
    return hz instanceof HazelcastInstanceProxy p && p.getOriginal() != null ? p.getOriginal().node : null;
  }
}
