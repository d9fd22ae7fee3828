package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * No Docker engine runs here, so the compose files and the Dockerfile are checked as data: the
 * services, their ports and commands, and that every TOKENBUS_* variable they set is an option
 * of the role the container runs (a typo would be ignored by the container, so it is caught here).
 */
class ComposeFileTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @SuppressWarnings("unchecked")
  private static Map<String, Object> load(String file) throws Exception {
    return new Yaml().load(Files.readString(ROOT.resolve(file)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> service(Map<String, Object> compose, String name) {
    return (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get(name);
  }

  /** The option names (without --) of a role's command. */
  private static Set<String> optionsOf(String role) {
    CommandLine cmd = new CommandLine(new TokenbusCommand()).getSubcommands().get(role);
    return cmd.getCommandSpec().options().stream().map(OptionSpec::longestName)
        .filter(n -> n.startsWith("--")).map(n -> n.substring(2)).collect(Collectors.toSet());
  }

  @SuppressWarnings("unchecked")
  private static void assertEnvironmentIsKnownTo(Map<String, Object> service, String role) {
    Set<String> known = optionsOf(role);
    Map<String, Object> env = (Map<String, Object>) service.get("environment");
    for (String variable : env.keySet()) {
      if (variable.equals("TOKENBUS_HOME") || variable.equals("TOKENBUS_MODEL_CACHE")) {
        continue;
      }
      assertThat(variable).startsWith("TOKENBUS_");
      String option = variable.substring("TOKENBUS_".length()).toLowerCase().replace('_', '-');
      assertThat(known).as("%s (set for %s) is an option of '%s'", variable, service.get("command"), role)
          .contains(option);
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void composeRunsAGatewayAndScalableWorkersThatJoinThroughIt() throws Exception {
    Map<String, Object> compose = load("docker-compose.yml");
    Map<String, Object> gateway = service(compose, "gateway");
    Map<String, Object> worker = service(compose, "worker");
    assertThat(gateway.get("command")).isEqualTo(List.of("gateway"));
    assertThat(worker.get("command")).isEqualTo(List.of("worker"));
    assertThat((List<String>) gateway.get("ports")).containsExactly("8080:8080");
    assertThat(worker).as("scaled workers publish no host port").doesNotContainKey("ports");
    Map<String, Object> gwEnv = (Map<String, Object>) gateway.get("environment");
    Map<String, Object> wkEnv = (Map<String, Object>) worker.get("environment");
    assertThat(gwEnv.get("TOKENBUS_HTTP_HOST")).isEqualTo("0.0.0.0");
    assertThat(wkEnv.get("TOKENBUS_CLUSTER_MEMBERS")).isEqualTo("gateway");
    assertThat(gwEnv.get("TOKENBUS_CLUSTER_MEMBERS")).isEqualTo("gateway");
    assertThat(wkEnv.get("TOKENBUS_CLUSTER_HOST")).isEqualTo("auto");
    assertEnvironmentIsKnownTo(gateway, "gateway");
    assertEnvironmentIsKnownTo(worker, "worker");
    assertThat((List<String>) worker.get("volumes")).contains("models:/models");
    // One cluster's credentials for every node, in a volume of this project's only; never baked into the image.
    assertThat(gwEnv.get("TOKENBUS_CLUSTER_CREDENTIALS")).isEqualTo("/cluster/credentials");
    assertThat(wkEnv.get("TOKENBUS_CLUSTER_CREDENTIALS")).isEqualTo(gwEnv.get("TOKENBUS_CLUSTER_CREDENTIALS"));
    assertThat((List<String>) gateway.get("volumes")).contains("cluster:/cluster");
    assertThat((List<String>) worker.get("volumes")).contains("cluster:/cluster");
    assertThat((Map<String, Object>) compose.get("volumes")).containsKey("cluster");
    assertThat(gwEnv).doesNotContainKey("TOKENBUS_CLUSTER_TLS");
    assertThat(wkEnv).doesNotContainKey("TOKENBUS_CLUSTER_TLS");
  }

  @Test
  @SuppressWarnings("unchecked")
  void gpuOverrideReservesGpusAndBuildsTheCudaVariant() throws Exception {
    Map<String, Object> worker = service(load("docker-compose.gpu.yml"), "worker");
    Map<String, Object> build = (Map<String, Object>) worker.get("build");
    assertThat(((Map<String, Object>) build.get("args")).get("MAVEN_PROFILES")).isEqualTo("cuda");
    Map<String, Object> reservations = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
        worker.get("deploy")).get("resources")).get("reservations");
    Map<String, Object> device = ((List<Map<String, Object>>) reservations.get("devices")).getFirst();
    assertThat(device.get("driver")).isEqualTo("nvidia");
    assertThat((List<String>) device.get("capabilities")).contains("gpu");
    assertEnvironmentIsKnownTo(worker, "worker");
  }

  @Test
  void dockerfileBuildsFromSourceAndRunsTheLauncher() throws Exception {
    String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
    assertThat(dockerfile).contains("AS build")
        .contains("mvn -q -B -DskipTests -Dtokenbus.aot.skip=true -P \"${MAVEN_PROFILES}\" package")
        .contains("COPY --from=build /src/launcher/target/tokenbus.jar /app/tokenbus.jar")
        .contains("\"-jar\", \"/app/tokenbus.jar\"").contains("libgomp1");
    // The AOT cache is made in the final stage against the jar where it runs, and used by the entry point.
    String finalStage = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
    assertThat(finalStage).contains("-XX:AOTCacheOutput=/app/tokenbus.aot -jar /app/tokenbus.jar aot-train")
        .contains("\"-XX:AOTCache=/app/tokenbus.aot\", \"-jar\", \"/app/tokenbus.jar\"");
    assertThat(finalStage.indexOf("aot-train")).isGreaterThan(finalStage.indexOf("COPY --from=build"));
    assertThat(optionsOf("gateway")).contains("http-host", "cluster-members", "cluster-host");
    // Maven builds every module the root pom lists: each must be in the build stage.
    Matcher module = Pattern.compile("<module>([^<]+)</module>")
        .matcher(Files.readString(ROOT.resolve("pom.xml")));
    while (module.find()) {
      assertThat(dockerfile).contains("COPY " + module.group(1) + "/pom.xml " + module.group(1) + "/")
          .contains("COPY " + module.group(1) + " " + module.group(1));
    }
  }

  @Test
  void autoClusterHostIsAnAddressOfThisMachine() {
    String host = ClusterArgs.resolveHost("auto");
    assertThat(host).matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
    assertThat(ClusterArgs.resolveHost("10.1.2.3")).isEqualTo("10.1.2.3");
  }
}
