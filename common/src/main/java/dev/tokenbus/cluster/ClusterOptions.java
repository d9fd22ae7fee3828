package dev.tokenbus.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How a node joins the cluster, or that it joins none.
 *
 * @param configFile a Hazelcast XML file; null uses the built-in copy of {@code conf/cluster.xml}
 * @param clusterName the Hazelcast cluster name, or null for the file's name followed by the CA's
 *     fingerprint (so that clusters of other credentials never merge); tests use a fresh one each
 * @param host this node's address for Hazelcast and the event bus; loopback by default
 * @param members hosts to join (TCP-IP); empty keeps the file's list
 * @param port Hazelcast's first port; 0 keeps the file's
 * @param credentials the directory of {@link ClusterCredentials}: every event-bus connection is TLS
 *     with mutual authentication by them. Null only with {@code local}, or for a measured plain-text
 *     bus ({@code --cluster-tls=false})
 * @param local a node of its own: no Hazelcast, no event-bus port, the same event-bus code paths
 *     in this process only (a private standalone node)
 * @param attributes what this node tells the others about itself (role, model) in its membership
 * @param busPort the event bus's port; 0 picks a free one
 * @param busPublicPort the event-bus port other nodes connect to, when a port forward stands between;
 *     0 is {@code busPort}'s
 */
public record ClusterOptions(Path configFile, String clusterName, String host, List<String> members, int port,
    Path credentials, boolean local, Map<String, String> attributes, int busPort, int busPublicPort) {

  /** Member attribute: the node's role (gateway, worker, standalone). */
  public static final String ROLE = "tokenbus.role";
  /** Member attribute: a worker's model. */
  public static final String MODEL = "tokenbus.model";

  public ClusterOptions {
    host = host == null || host.isBlank() ? "127.0.0.1" : host;
    members = members == null ? List.of() : List.copyOf(members);
    attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    if (busPort < 0 || busPort > 65535 || busPublicPort < 0 || busPublicPort > 65535) {
      throw new IllegalArgumentException("event-bus ports must be 0..65535, got " + busPort + " and " + busPublicPort);
    }
  }

  /** A node that joins no cluster. */
  public static ClusterOptions standalone() {
    return new ClusterOptions(null, null, "127.0.0.1", List.of(), 0, null, true, Map.of(), 0, 0);
  }

  /** A cluster of its own, for tests: no other JVM's nodes will join it; TLS with the credentials in {@code credentials}. */
  public static ClusterOptions isolated(String clusterName, Path credentials) {
    return new ClusterOptions(null, clusterName, "127.0.0.1", List.of(), 0, credentials, false, Map.of(), 0, 0);
  }

  public ClusterOptions withAttributes(Map<String, String> attributes) {
    return new ClusterOptions(configFile, clusterName, host, members, port, credentials, local, attributes, busPort,
        busPublicPort);
  }

  public ClusterOptions withBusPorts(int busPort, int busPublicPort) {
    return new ClusterOptions(configFile, clusterName, host, members, port, credentials, local, attributes, busPort,
        busPublicPort);
  }

  public ClusterOptions withCredentials(Path credentials) {
    return new ClusterOptions(configFile, clusterName, host, members, port, credentials, local, attributes, busPort,
        busPublicPort);
  }
}
