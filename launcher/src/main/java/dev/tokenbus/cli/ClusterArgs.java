package dev.tokenbus.cli;

import dev.tokenbus.cluster.ClusterOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/** Cluster options shared by the roles; each has an environment variable. */
final class ClusterArgs {

  @Option(names = "--cluster-config", paramLabel = "FILE", defaultValue = "${env:TOKENBUS_CLUSTER_CONFIG}",
      description = "Hazelcast XML (env TOKENBUS_CLUSTER_CONFIG). Default: conf/cluster.xml of this installation.")
  Path config;

  @Option(names = "--cluster-host", defaultValue = "${env:TOKENBUS_CLUSTER_HOST:-127.0.0.1}",
      description = "This node's cluster address (env TOKENBUS_CLUSTER_HOST, default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--cluster-members", defaultValue = "${env:TOKENBUS_CLUSTER_MEMBERS}", paramLabel = "HOSTS",
      description = "Comma-separated hosts to join (env TOKENBUS_CLUSTER_MEMBERS). Default: the config file's.")
  String members;

  @Option(names = "--cluster-name", defaultValue = "${env:TOKENBUS_CLUSTER_NAME}",
      description = "Cluster name (env TOKENBUS_CLUSTER_NAME). Default: the config file's (tokenbus).")
  String name;

  ClusterOptions toOptions() {
    Path file = config;
    if (file == null) {
      String home = System.getenv("TOKENBUS_HOME");
      Path candidate = Path.of(home != null ? home : ".", "conf", "cluster.xml");
      file = Files.isRegularFile(candidate) ? candidate : null;
    }
    List<String> memberList = members == null || members.isBlank() ? List.of()
        : Arrays.stream(members.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    return new ClusterOptions(file, name == null || name.isBlank() ? null : name, host, memberList, 0);
  }
}
