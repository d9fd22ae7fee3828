package dev.tokenbus.cli;

import dev.tokenbus.cluster.ClusterCredentials;
import dev.tokenbus.cluster.ClusterOptions;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** Cluster options shared by the roles; each has an environment variable. */
final class ClusterArgs {

  @Option(names = "--cluster-config", paramLabel = "FILE", description = "Hazelcast XML. Default: conf/cluster.xml of this installation.")
  Path config;

  @Option(names = "--cluster-host", defaultValue = "127.0.0.1",
      description = "This node's cluster address (default ${DEFAULT-VALUE}); 'auto' takes the first non-loopback"
          + " IPv4 address, as a container needs.")
  String host;

  @Option(names = "--cluster-members", paramLabel = "HOSTS",
      description = "Comma-separated hosts to join, each HOST (looked for on the cluster port) or HOST:PORT."
          + " Default: the config file's.")
  String members;

  @Option(names = "--cluster-name", description = "Cluster name. Default: the config file's (tokenbus) followed by"
      + " the cluster CA's fingerprint, so that clusters of other credentials stay apart.")
  String name;

  @Option(names = "--cluster-port", defaultValue = "0",
      description = "Hazelcast's first port, where members without a port are looked for too; 0 = the config"
          + " file's (5701). Several clusters on one host stay apart on ports of their own.")
  int port;

  @Option(names = "--cluster-bus-port", defaultValue = "0",
      description = "The event bus's port (TLS), where other nodes connect to this one; 0 = any free port (default)."
          + " Across machines, fix it to open it in a firewall.")
  int busPort;

  @Option(names = "--cluster-credentials", paramLabel = "DIR",
      description = "The cluster's CA and this node's certificate and key; every event-bus connection is TLS with"
          + " them, both ways. Created on first use. Default: $XDG_CONFIG_HOME/tokenbus/cluster, else"
          + " ~/.config/tokenbus/cluster.")
  Path credentials;

  @Option(names = "--cluster-tls", defaultValue = "true", arity = "1", paramLabel = "true|false",
      description = "TLS with mutual authentication on the event bus (default ${DEFAULT-VALUE}). false sends prompts and"
          + " tokens in plain text and lets any process that reaches the cluster port use the bus: only for"
          + " measuring what TLS costs, on one machine.")
  boolean tls;

  private static final Logger LOG = LoggerFactory.getLogger(ClusterArgs.class);

  /** Where the credentials are: the option, else the user's config directory. */
  Path credentialsDirectory(Map<String, String> env) {
    return credentials != null ? credentials : ClusterCredentials.defaultDirectory(env);
  }

  /**
   * The options of a node in a cluster, with its role (and a worker's model) for the others to see.
   * The credentials are loaded, or created on first use; a problem with them is a bad configuration.
   */
  ClusterOptions toOptions(String role, String model) {
    ClusterOptions options = toOptions();
    Map<String, String> attributes = new java.util.HashMap<>();
    attributes.put(ClusterOptions.ROLE, role);
    if (model != null) {
      attributes.put(ClusterOptions.MODEL, model);
    }
    options = options.withAttributes(attributes);
    if (!tls) {
      return options;
    }
    Path dir = credentialsDirectory(System.getenv());
    try {
      ClusterCredentials.Loaded loaded = ClusterCredentials.loadOrCreate(dir);
      if (loaded.created()) {
        LOG.info("created new cluster credentials in {} (a new cluster CA); nodes on other machines join with"
            + " 'tokenbus cluster credentials export FILE' here and 'import FILE' there", dir);
      }
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cluster credentials: " + e.getMessage());
    }
    return options.withCredentials(dir);
  }

  /** Whether the user asked for a cluster (hosts to join) rather than the configuration file's defaults. */
  boolean membersGiven() {
    return members != null && !members.isBlank();
  }

  ClusterOptions toOptions() {
    Path file = config;
    if (file == null) {
      String home = System.getenv("TOKENBUS_HOME");
      Path candidate = Path.of(home != null ? home : ".", "conf", "cluster.xml");
      file = Files.isRegularFile(candidate) ? candidate : null;
    }
    List<String> memberList = members == null || members.isBlank() ? List.of()
        : Arrays.stream(members.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("cluster-port must be 0..65535, got " + port);
    }
    return new ClusterOptions(file, name == null || name.isBlank() ? null : name, resolveHost(host), memberList, port,
        null, false, Map.of(), busPort, 0);
  }

  /** {@code auto}: this machine's first non-loopback IPv4 address (a container's own), else loopback. */
  static String resolveHost(String host) {
    if (!"auto".equalsIgnoreCase(host)) {
      return host;
    }
    try {
      for (NetworkInterface nic : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback()) {
          continue;
        }
        for (InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            return a.getHostAddress();
          }
        }
      }
    } catch (SocketException e) {
      throw new IllegalArgumentException("cluster-host auto: cannot list network interfaces: " + e.getMessage());
    }
    return "127.0.0.1";
  }
}
