package dev.tokenbus.cli;

import dev.tokenbus.cluster.ClusterOptions;
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
      description = "This node's cluster address (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--cluster-members", paramLabel = "HOSTS",
      description = "Comma-separated hosts to join. Default: the config file's.")
  String members;

  @Option(names = "--cluster-name", description = "Cluster name. Default: the config file's (tokenbus).")
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
