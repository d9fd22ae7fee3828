package dev.tokenbus.cluster;

import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import java.util.List;

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

  /**
   * Whether work may go to that node: with a TLS bus, once it proved a certificate of this cluster's
   * CA and its event-bus connections are open (so that a stream's first frame never waits for a
   * handshake); always for this node itself and on a plain-text bus.
   */
  default boolean isReady(String nodeId) {
    return true;
  }

  /** The other members as this node sees them now (empty for a node without a cluster). */
  default List<Member> members() {
    return List.of();
  }

  /** For a single node without a cluster (a private standalone node, tests of one process): nobody ever joins or leaves. */
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

  /** Whether this node's event bus trusts a member. */
  enum Trust {
    /** Its event bus has not published its address yet, or the TLS check is under way. */
    CHECKING,
    /** Its event bus proved a certificate of this cluster's CA. */
    TRUSTED,
    /** Its event bus failed the check: nothing is sent to it, and nothing it sends is accepted. */
    REFUSED,
    /** The bus is plain text ({@code --cluster-tls=false}): nothing is checked. */
    UNCHECKED
  }

  /**
   * Another member of the cluster.
   *
   * @param nodeId its Vert.x node id
   * @param role what it says it is (gateway, worker, standalone), or "unknown"
   * @param model a worker's model, or null
   * @param address its Hazelcast address (host:port)
   * @param eventBus its event-bus address (host:port), or null while unknown
   * @param trust whether this node's event bus trusts it
   * @param reason why it was refused, or null
   * @param ready whether work may go to it ({@link ClusterMembership#isReady})
   */
  record Member(String nodeId, String role, String model, String address, String eventBus, Trust trust,
      String reason, boolean ready) {

    /** For logs: {@code worker 'tiny' at 127.0.0.1:5702 (node ..., event bus ...)}. */
    public String describe() {
      return role + (model != null ? " '" + model + "'" : "") + " at " + address + " (node " + nodeId
          + (eventBus != null ? ", event bus " + eventBus : "") + ")";
    }

    public JsonObject toJson() {
      JsonObject j = new JsonObject().put("node", nodeId).put("role", role).put("address", address)
          .put("event_bus", eventBus).put("trust", trust.name().toLowerCase(java.util.Locale.ROOT))
          .put("ready", ready);
      if (model != null) {
        j.put("model", model);
      }
      if (reason != null) {
        j.put("reason", reason);
      }
      return j;
    }

    Member with(String eventBus, Trust trust, String reason) {
      return new Member(nodeId, role, model, address, eventBus, trust, reason, false);
    }

    Member asReady() {
      return new Member(nodeId, role, model, address, eventBus, trust, reason, true);
    }
  }
}
