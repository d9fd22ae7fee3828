package dev.tokenbus.cluster;

import java.nio.file.Path;
import java.util.List;

/**
 * How a node joins the cluster.
 *
 * @param configFile a Hazelcast XML file; null uses the built-in copy of {@code conf/cluster.xml}
 * @param clusterName overrides the file's cluster name (tests use a fresh one each), or null
 * @param host this node's address for Hazelcast and the event bus; loopback by default
 * @param members hosts to join (TCP-IP); empty keeps the file's list
 * @param port Hazelcast's first port; 0 keeps the file's
 */
public record ClusterOptions(Path configFile, String clusterName, String host, List<String> members, int port) {

  public ClusterOptions {
    host = host == null || host.isBlank() ? "127.0.0.1" : host;
    members = members == null ? List.of() : List.copyOf(members);
  }

  public static ClusterOptions loopback() {
    return new ClusterOptions(null, null, "127.0.0.1", List.of(), 0);
  }

  /** A cluster of its own, for tests: no other JVM's nodes will join it. */
  public static ClusterOptions isolated(String clusterName) {
    return new ClusterOptions(null, clusterName, "127.0.0.1", List.of(), 0);
  }
}
