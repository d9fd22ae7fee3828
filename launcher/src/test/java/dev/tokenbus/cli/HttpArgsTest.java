package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.gateway.api.ReasoningFormat;
import dev.tokenbus.gateway.api.ReasoningParameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The gateway's HTTP keys reach GatewayOptions from every layer; api-keys is a comma-separated list. */
class HttpArgsTest {

  @TempDir
  Path dir;

  @Command(name = "probe")
  static final class Probe implements Runnable {
    @Mixin HttpArgs http;

    @Override
    public void run() {}
  }

  private HttpArgs parse(Path yaml, Map<String, String> env, String... args) throws Exception {
    Probe probe = new Probe();
    CommandLine cmd = new CommandLine(probe);
    LayeredDefaults d = new LayeredDefaults(yaml, env);
    d.checkKnown(cmd);
    cmd.setDefaultValueProvider(d);
    cmd.parseArgs(args);
    return probe.http;
  }

  @Test
  void apiKeysComeFromTheFileTheEnvironmentOrAFlag() throws Exception {
    assertThat(parse(null, Map.of()).toOptions().apiKeys()).isEmpty();
    Path yaml = Files.writeString(dir.resolve("t.yaml"), "api-keys: \"sk-file\"\n");
    assertThat(parse(yaml, Map.of()).toOptions().apiKeys()).containsExactly("sk-file");
    assertThat(parse(yaml, Map.of("TOKENBUS_API_KEYS", " sk-a , sk-b,,")).toOptions().apiKeys())
        .containsExactlyInAnyOrder("sk-a", "sk-b");
    assertThat(parse(yaml, Map.of("TOKENBUS_API_KEYS", "sk-a"), "--api-keys", "sk-flag").toOptions().apiKeys())
        .containsExactly("sk-flag");
  }

  @Test
  void theReasoningSettingsReachGatewayOptions() throws Exception {
    assertThat(parse(null, Map.of()).toOptions().reasoning())
        .isEqualTo(new ReasoningParameters.Defaults(ReasoningFormat.REASONING_CONTENT, -1));
    Path yaml = Files.writeString(dir.resolve("r.yaml"), "reasoning-format: none\nreasoning-budget: 512\n");
    assertThat(parse(yaml, Map.of()).toOptions().reasoning())
        .isEqualTo(new ReasoningParameters.Defaults(ReasoningFormat.NONE, 512));
    assertThat(parse(yaml, Map.of(), "--reasoning-format", "reasoning").toOptions().reasoning().format())
        .isEqualTo(ReasoningFormat.REASONING);
  }

  @Test
  void aKeyWithWhitespaceInsideIsRefused() {
    assertThatThrownBy(() -> HttpArgs.apiKeys("sk a")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("api-keys");
  }
}
