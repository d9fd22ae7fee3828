package dev.tokenbus.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Handler;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ClusterMembership} from Hazelcast's member list, whose members carry their Vert.x node id. */
final class HazelcastMembership implements ClusterMembership, MembershipListener {

  /** The member attribute under which vertx-hazelcast stores the Vert.x node id. */
  private static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastMembership.class);

  private final HazelcastClusterManager manager;
  private final List<Handler<String>> handlers = new CopyOnWriteArrayList<>();

  HazelcastMembership(HazelcastClusterManager manager) {
    this.manager = manager;
    manager.getHazelcastInstance().getCluster().addMembershipListener(this);
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
    for (Member m : hz.getCluster().getMembers()) {
      if (nodeId.equals(m.getAttribute(NODE_ID_ATTRIBUTE))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    LOG.info("cluster member joined: {} ({} members)", event.getMember().getAddress(), event.getMembers().size());
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    String nodeId = event.getMember().getAttribute(NODE_ID_ATTRIBUTE);
    LOG.info("cluster member left: {} node {} ({} members)", event.getMember().getAddress(), nodeId,
        event.getMembers().size());
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
