package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class LayeredDefaultsTest {

  @TempDir
  Path dir;

  @Command(name = "probe")
  static final class Probe implements Runnable {
    @Option(names = "--http-port", defaultValue = "8080")
    int port;

    @Option(names = "--cluster-name")
    String clusterName;

    @Option(names = "--slots", defaultValue = "4")
    int slots;

    @Override
    public void run() {}
  }

  private Probe parse(Path yaml, Map<String, String> env, String... args) throws Exception {
    Probe probe = new Probe();
    CommandLine cmd = new CommandLine(probe);
    LayeredDefaults d = new LayeredDefaults(yaml, env);
    d.checkKnown(cmd);
    cmd.setDefaultValueProvider(d);
    cmd.parseArgs(args);
    return probe;
  }

  @Test
  void fileThenEnvironmentThenFlagsEachOverrideTheOneBefore() throws Exception {
    Path yaml = Files.writeString(dir.resolve("t.yaml"), "http:\n  port: 9000\ncluster-name: from-file\nslots: 6\n");
    Probe fileOnly = parse(yaml, Map.of());
    assertThat(fileOnly.port).isEqualTo(9000);
    assertThat(fileOnly.clusterName).isEqualTo("from-file");
    Probe env = parse(yaml, Map.of("TOKENBUS_HTTP_PORT", "9100"));
    assertThat(env.port).isEqualTo(9100);
    assertThat(env.slots).isEqualTo(6);
    Probe flag = parse(yaml, Map.of("TOKENBUS_HTTP_PORT", "9100"), "--http-port", "9200");
    assertThat(flag.port).isEqualTo(9200);
    Probe none = parse(null, Map.of());
    assertThat(none.port).isEqualTo(8080);
    assertThat(none.clusterName).isNull();
  }

  @Test
  void anUnknownKeyIsRefusedByName() throws Exception {
    Path yaml = Files.writeString(dir.resolve("typo.yaml"), "http-prot: 9000\n");
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> parse(yaml, Map.of())))
        .isInstanceOf(LayeredDefaults.ConfigException.class).hasMessageContaining("unknown key 'http-prot'")
        .hasMessageContaining("typo.yaml");
  }

  @Test
  void anUnknownLlamaProfileIsRefusedBeforeAnythingStarts() {
    StringWriter err = new StringWriter();
    int code = TokenbusCommand.execute(new String[] {"worker"}, Map.of("TOKENBUS_LLAMA_PROFILE", "b9999"),
        new PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--llama-profile").contains("b9999").contains("TOKENBUS_LLAMA_PROFILE")
        .contains("auto, current, v0.5.0 or b4916");
  }

  @Test
  void theLauncherNamesTheKeyAndWhereABadValueCameFrom() throws Exception {
    StringWriter err = new StringWriter();
    int code = TokenbusCommand.execute(new String[] {"gateway"}, Map.of("TOKENBUS_HTTP_PORT", "eighty"),
        new PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--http-port").contains("eighty").contains("TOKENBUS_HTTP_PORT");

    Path yaml = Files.writeString(dir.resolve("tokenbus.yaml"), "http-port: 70000\n");
    err = new StringWriter();
    code = TokenbusCommand.execute(new String[] {"gateway", "--config", yaml.toString()}, Map.of(),
        new PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("http-port must be between 0 and 65535, got 70000");

    Path bad = Files.writeString(dir.resolve("bad.yaml"), "slotz: 3\n");
    err = new StringWriter();
    code = TokenbusCommand.execute(new String[] {"worker", "--config", bad.toString()}, Map.of(),
        new PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("unknown key 'slotz'");
  }
}
