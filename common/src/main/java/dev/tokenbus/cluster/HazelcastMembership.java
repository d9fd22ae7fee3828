package dev.tokenbus.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ClusterMembership} from Hazelcast's member list, whose members carry their Vert.x node id
 * and what they say they are (role, model). Each member that joins or leaves is logged, one line
 * each, saying when no member of its role is left (a partition cut this node off from every gateway,
 * or a gateway from every worker); so is a merge after a partition healed. With TLS on the bus each
 * new member's event bus is checked ({@link MemberCheck}), and a refused one is logged with the reason.
 */
final class HazelcastMembership implements ClusterMembership, MembershipListener {

  /** The member attribute under which vertx-hazelcast stores the Vert.x node id. */
  private static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastMembership.class);
  /** How often, and how long, to look for a new member's event-bus address (it publishes it once its bus is up). */
  private static final long ADDRESS_POLL_MS = 200;
  private static final long ADDRESS_WAIT_MS = 60_000;
  /** Every clustered node answers pings here, so that others can open their event-bus connections to it early. */
  static final String PING_PREFIX = "tokenbus.node.";
  private static final int PING_ATTEMPTS = 20;
  private static final long PING_RETRY_MS = 250;
  /** How soon a member refused for a reason that may pass (a timeout, an unreachable port) is checked again. */
  private static final long RECHECK_MS = 5_000;

  private final Vertx vertx;
  private final HazelcastClusterManager manager;
  private final MemberCheck check; // null: plain-text bus
  private final List<Handler<String>> handlers = new CopyOnWriteArrayList<>();
  private final Map<String, ClusterMembership.Member> members = new ConcurrentHashMap<>();

  HazelcastMembership(Vertx vertx, HazelcastClusterManager manager, MemberCheck check) {
    this.vertx = vertx;
    this.manager = manager;
    this.check = check;
    vertx.eventBus().consumer(PING_PREFIX + manager.getNodeId(), m -> m.reply(null));
    HazelcastInstance hz = manager.getHazelcastInstance();
    hz.getCluster().addMembershipListener(this);
    hz.getLifecycleService().addLifecycleListener(this::lifecycle);
    for (com.hazelcast.cluster.Member m : hz.getCluster().getMembers()) {
      if (!m.localMember()) {
        added(m, "cluster member present");
      }
    }
  }

  @Override
  public String nodeId() {
    return manager.getNodeId();
  }

  @Override
  public void onNodeLeft(Handler<String> handler) {
    handlers.add(handler);
  }

  @Override
  public boolean isMember(String nodeId) {
    HazelcastInstance hz = manager.getHazelcastInstance();
    if (hz == null || !hz.getLifecycleService().isRunning()) {
      return false;
    }
    for (com.hazelcast.cluster.Member m : hz.getCluster().getMembers()) {
      if (nodeId.equals(m.getAttribute(NODE_ID_ATTRIBUTE))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean isReady(String nodeId) {
    if (check == null || nodeId.equals(manager.getNodeId())) {
      return true;
    }
    ClusterMembership.Member m = members.get(nodeId);
    return m != null && m.ready();
  }

  @Override
  public List<ClusterMembership.Member> members() {
    return members.values().stream().sorted(Comparator.comparing(ClusterMembership.Member::address)).toList();
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    added(event.getMember(), "cluster member joined");
  }

  private void added(com.hazelcast.cluster.Member m, String what) {
    String nodeId = m.getAttribute(NODE_ID_ATTRIBUTE);
    if (nodeId == null) {
      LOG.warn("{}: {} without a Vert.x node id (not a tokenbus node?)", what, m.getAddress());
      return;
    }
    String role = m.getAttribute(ClusterOptions.ROLE);
    ClusterMembership.Member member = new ClusterMembership.Member(nodeId, role == null ? "unknown" : role,
        m.getAttribute(ClusterOptions.MODEL), m.getAddress().getHost() + ":" + m.getAddress().getPort(), null,
        check == null ? Trust.UNCHECKED : Trust.CHECKING, null, check == null);
    members.put(nodeId, member);
    LOG.info("{}: {}", what, member.describe());
    if (check != null) {
      verify(nodeId, System.currentTimeMillis() + ADDRESS_WAIT_MS);
    }
  }

  /**
   * Finds the member's event-bus address (published once its bus is up), then checks it. Never gives
   * up while the member is present: a slow start is only logged once.
   */
  private void verify(String nodeId, long warnAt) {
    if (!members.containsKey(nodeId)) {
      return; // left meanwhile
    }
    Promise<NodeInfo> info = Promise.promise();
    manager.getNodeInfo(nodeId, info);
    info.future().onComplete(ar -> {
      if (ar.succeeded() && ar.result() != null) {
        String bus = ar.result().host() + ":" + ar.result().port();
        check.check(ar.result().host(), ar.result().port()).onSuccess(reason -> judged(nodeId, bus, reason));
        return;
      }
      long next = warnAt;
      if (System.currentTimeMillis() > warnAt) {
        LOG.warn("cluster member {} has published no event-bus address for {} s; still waiting", nodeId,
            ADDRESS_WAIT_MS / 1000);
        next = Long.MAX_VALUE;
      }
      long again = next;
      vertx.setTimer(ADDRESS_POLL_MS, t -> verify(nodeId, again));
    });
  }

  private void judged(String nodeId, String bus, String reason) {
    ClusterMembership.Member before = members.get(nodeId);
    ClusterMembership.Member m = members.computeIfPresent(nodeId,
        (id, old) -> old.with(bus, reason == null ? Trust.TRUSTED : Trust.REFUSED, reason));
    if (m == null) {
      return;
    }
    if (reason == null) {
      LOG.info("cluster member authenticated: {}", m.describe());
      warm(nodeId, 1);
      return;
    }
    if (before == null || !reason.equals(before.reason())) {
      LOG.warn("cluster member refused: {}: {}; nothing is sent to it, and nothing it sends is accepted",
          m.describe(), reason);
    }
    if (!MemberCheck.definitive(reason)) {
      // A timeout or an unreachable port may pass (a node still starting on a loaded machine): check again.
      vertx.setTimer(RECHECK_MS, t -> verify(nodeId, Long.MAX_VALUE));
    }
  }

  /**
   * Opens the event-bus connections to and from a trusted member now, with a ping it answers, so
   * that the first frame a stream sends there does not wait for a TLS handshake (a cold one can take
   * longer than a stream's inactivity timeout on a loaded machine); only then is the member ready.
   * Retried, while the member is present, until it answers (it registers its ping address just after
   * joining).
   */
  private void warm(String nodeId, int attempt) {
    if (!members.containsKey(nodeId)) {
      return;
    }
    long t0 = System.nanoTime();
    vertx.eventBus().request(PING_PREFIX + nodeId, null, new io.vertx.core.eventbus.DeliveryOptions()
        .setSendTimeout(10_000)).onComplete(ar -> {
      if (ar.succeeded()) {
        members.computeIfPresent(nodeId, (id, m) -> m.asReady());
        LOG.debug("event bus to node {} open in {} ms", nodeId, (System.nanoTime() - t0) / 1_000_000);
        return;
      }
      if (attempt == PING_ATTEMPTS) {
        LOG.warn("node {} does not answer on the event bus yet ({}); still trying", nodeId, ar.cause().getMessage());
      }
      vertx.setTimer(Math.min(PING_RETRY_MS * attempt, 2_000), t -> warm(nodeId, attempt + 1));
    });
  }

  /**
   * A merge after a partition: this node's cluster found the larger one again and joins it (Hazelcast
   * gives this node a new member UUID; its Vert.x node id stays); vertx-hazelcast then announces
   * this node's subscriptions and node information again, and the members of that cluster join.
   * Hazelcast tells of no member that left while this node was cut off and is not in the cluster it
   * merged into: once merged, every member this node knew and Hazelcast no longer lists has left.
   */
  private void lifecycle(LifecycleEvent event) {
    switch (event.getState()) {
      case MERGING -> LOG.info("cluster partition healed: merging into the cluster found again");
      case MERGED -> {
        LOG.info("cluster partition healed: rejoined the cluster ({} members)",
            manager.getHazelcastInstance().getCluster().getMembers().size());
        forgetGone();
      }
      case MERGE_FAILED -> LOG.warn("cluster partition: the merge into the cluster found again failed; this node"
          + " stays in a cluster of its own until the next attempt");
      default -> { }
    }
  }

  /** Those of {@link #members} that Hazelcast no longer lists leave, as if it had said so. */
  private void forgetGone() {
    Set<String> listed = new HashSet<>();
    for (com.hazelcast.cluster.Member m : manager.getHazelcastInstance().getCluster().getMembers()) {
      listed.add(m.getAttribute(NODE_ID_ATTRIBUTE));
    }
    for (String nodeId : List.copyOf(members.keySet())) {
      if (!listed.contains(nodeId)) {
        left(nodeId, "cluster member gone while this node was cut off", null, listed.size());
      }
    }
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    left(event.getMember().getAttribute(NODE_ID_ATTRIBUTE), "cluster member left",
        event.getMember().getAddress().toString(), event.getMembers().size());
  }

  private void left(String nodeId, String what, String address, int remaining) {
    ClusterMembership.Member m = nodeId == null ? null : members.remove(nodeId);
    if (m == null && address == null) {
      return; // already gone
    }
    String role = m == null ? null : m.role();
    boolean lastOfRole = role != null && members.values().stream().noneMatch(o -> role.equals(o.role()));
    LOG.info("{}: {} ({} members){}", what, m != null ? m.describe() : address + " node " + nodeId, remaining,
        lastOfRole ? "; no " + role + " is left in this node's cluster" : "");
    if (nodeId == null) {
      return;
    }
    for (Handler<String> h : handlers) {
      try {
        h.handle(nodeId);
      } catch (RuntimeException e) {
        LOG.warn("node-left handler failed", e);
      }
    }
  }
}
