package dev.tokenbus.cluster;

import io.vertx.core.Handler;

/**
 * Which Vert.x nodes are in the cluster, and news of those that leave. Streams end when the node
 * at their other end leaves, instead of waiting for a timeout.
 */
public interface ClusterMembership {

  /** This node's Vert.x node id. */
  String nodeId();

  /** Registers a handler for nodes that left (crashed, killed, partitioned or shut down); called on a Hazelcast thread. */
  void onNodeLeft(Handler<String> handler);

  /** Whether the node is a member now. */
  boolean isMember(String nodeId);

  /** For a single node without a cluster (tests of one process): nobody ever leaves. */
  static ClusterMembership standalone(String nodeId) {
    return new ClusterMembership() {
      @Override
      public String nodeId() {
        return nodeId;
      }

      @Override
      public void onNodeLeft(Handler<String> handler) {}

      @Override
      public boolean isMember(String id) {
        return nodeId.equals(id);
      }
    };
  }
}
