package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every setting is checked before the node joins a cluster, binds a port or looks for a model, and
 * a bad one is reported with where its value came from. The HTTP (or operations) port given here
 * is held by the test: a node that got as far as listening would fail on it instead.
 */
class ConfigValidationTest {

  @TempDir
  Path dir;

  private record Run(int code, String err) {}

  private Run run(Map<String, String> env, String... args) throws Exception {
    try (ServerSocket held = new ServerSocket(0)) {
      String[] all = new String[args.length + 2];
      System.arraycopy(args, 0, all, 0, args.length);
      all[args.length] = args[args.length - 1].equals("worker") || java.util.Arrays.asList(args).contains("worker")
          ? "--ops-port" : "--http-port";
      all[args.length + 1] = Integer.toString(held.getLocalPort());
      StringWriter err = new StringWriter();
      int code = TokenbusCommand.execute(all, Map.of("TOKENBUS_HOME", dir.toString()) .entrySet().stream()
          .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a,
              () -> new java.util.HashMap<>(env))), new PrintWriter(err, true));
      return new Run(code, err.toString());
    }
  }

  @Test
  void aNegativeSlotCountFromAFlagIsRefusedNamingTheFlag() throws Exception {
    Run r = run(Map.of(), "standalone", "--slots", "-3", "--model", "demo");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("slots must be 1 or more, got -3").contains("from the flag --slots");
  }

  @Test
  void anUnknownReasoningFormatOrABudgetOutOfRangeIsRefusedAtStart() throws Exception {
    Run r = run(Map.of(), "gateway", "--reasoning-format", "deep");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("reasoning-format must be reasoning_content, reasoning or none, got 'deep'")
        .contains("from the flag --reasoning-format");
    r = run(Map.of("TOKENBUS_REASONING_BUDGET", "-5"), "gateway");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("reasoning-budget must be -1").contains("TOKENBUS_REASONING_BUDGET");
  }

  @Test
  void aNegativeSlotCountFromTheEnvironmentIsRefusedNamingTheVariable() throws Exception {
    Run r = run(Map.of("TOKENBUS_SLOTS", "-3"), "worker", "--model", "demo");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("slots must be 1 or more").contains("environment variable TOKENBUS_SLOTS");
  }

  @Test
  void aMissingModelFileFromTheConfigFileIsRefusedNamingTheFile() throws Exception {
    Path yaml = Files.writeString(dir.resolve("t.yaml"), "model: " + dir.resolve("absent.gguf") + "\n");
    Run r = run(Map.of(), "--config", yaml.toString(), "standalone");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("model: no such file").contains("absent.gguf").contains(yaml + ": model");
  }

  @Test
  void theGeneratedModelsAreNamesNotFiles() throws Exception {
    // Each passes the model check, so the next setting's problem is the one reported.
    for (String model : new String[] {"demo", "bench-small"}) {
      for (String role : new String[] {"standalone", "worker"}) {
        Run r = run(Map.of(), role, "--model", model, "--llama-library", dir.resolve("absent.so").toString());
        assertThat(r.code()).as("%s %s: %s", role, model, r.err()).isEqualTo(2);
        assertThat(r.err()).as("%s %s", role, model).contains("llama-library: no such file")
            .doesNotContain("model: no such file");
      }
    }
  }

  @Test
  void aNegativeTimeoutIsRefusedBeforeTheGatewayListens() throws Exception {
    Run r = run(Map.of(), "gateway", "--idle-timeout-ms", "-1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("idle-timeout-ms must be 0 (no limit) or more").contains("--idle-timeout-ms");
  }

  @Test
  void anInstanceCountOutOfRangeIsRefusedBeforeTheWorkerStarts() throws Exception {
    for (String n : new String[] {"0", "-1", "1025"}) {
      Run r = run(Map.of(), "worker", "--model", "demo", "--instances", n);
      assertThat(r.code()).as(n).isEqualTo(2);
      assertThat(r.err()).as(n).contains("instances must be between 1 and 1024, got " + n)
          .contains("from the flag --instances");
    }
    Run env = run(Map.of("TOKENBUS_INSTANCES", "0"), "worker", "--model", "demo");
    assertThat(env.code()).isEqualTo(2);
    assertThat(env.err()).contains("instances must be between 1 and 1024, got 0")
        .contains("environment variable TOKENBUS_INSTANCES");
    Run huge = run(Map.of(), "worker", "--model", "demo", "--instances", "99999999999");
    assertThat(huge.code()).isEqualTo(2);
    assertThat(huge.err()).contains("--instances").contains("99999999999");
  }

  @Test
  void anUnknownFlashAttentionValueFromTheConfigFileIsRefused() throws Exception {
    Path yaml = Files.writeString(dir.resolve("fa.yaml"), "flash-attention: sometimes\n");
    Run r = run(Map.of(), "--config", yaml.toString(), "standalone", "--model", "demo");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("flash-attention must be auto, on or off, got 'sometimes'");
  }
}
