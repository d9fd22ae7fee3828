package dev.tokenbus.cli;

import dev.tokenbus.cluster.ClusterOptions;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
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
      description = "Comma-separated hosts to join. Default: the config file's.")
  String members;

  @Option(names = "--cluster-name", description = "Cluster name. Default: the config file's (tokenbus).")
  String name;

  @Option(names = "--cluster-port", defaultValue = "0",
      description = "Hazelcast's first port, where members without a port are looked for too; 0 = the config"
          + " file's (5701). Several clusters on one host stay apart on ports of their own.")
  int port;

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
    return new ClusterOptions(file, name == null || name.isBlank() ? null : name, resolveHost(host), memberList, port);
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
