package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The official {@code openai} npm package, unchanged, against a running gateway and worker: it
 * streams a chat completion and a completion, reads their usage, gets a whole answer and a refusal
 * (src/test/js/client.mjs). The package is installed from the npm registry into the build
 * directory on first run. Skipped only when node or npm is not installed.
 */
@Tag("engine")
@Tag("cluster")
class OpenAiNodeClientTest {

  private static final String KEY = "sk-node-client";
  private static final String MODEL = "tiny-chat";

  @Test
  void theOpenAiNpmClientStreamsChatAndCompletionsAndReadsUsage() throws Exception {
    assumeTrue(onPath("node") && onPath("npm"), "node and npm are not installed; skipping the openai npm client check");
    Path dir = prepare();
    try (TestCluster cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tinyChat()).withThreads(1)
        .withSlots(2).withContextPerSequence(512), GatewayOptions.defaults().withApiKeys(Set.of(KEY)),
        WorkerOptions.defaults(MODEL))) {
      String out = run(dir, 120, "node", "client.mjs", cluster.uri("/v1").toString(), KEY, MODEL);
      JsonObject r = new JsonObject(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
      System.out.println("openai npm client saw: " + r.encode());

      assertThat(r.getJsonArray("models").getList()).containsExactly(MODEL);
      JsonObject chat = r.getJsonObject("chat");
      assertThat(chat.getJsonArray("ids")).hasSize(1);
      assertThat(chat.getJsonArray("roles").getList()).containsExactly("assistant");
      assertThat(chat.getJsonArray("finish").getList()).containsExactly("length");
      assertThat(chat.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(12);
      assertThat(chat.getJsonObject("usage").getInteger("prompt_tokens")).isPositive();
      assertThat(chat.getString("text")).isNotEmpty();

      JsonObject completion = r.getJsonObject("completion");
      assertThat(completion.getJsonArray("finish").getList()).containsExactly("length");
      assertThat(completion.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(9);
      assertThat(completion.getString("text")).isNotEmpty();

      JsonObject whole = r.getJsonObject("whole");
      assertThat(whole.getString("role")).isEqualTo("assistant");
      assertThat(whole.getString("text")).isEqualTo(chat.getString("text"));
      assertThat(whole.getJsonObject("usage").getInteger("total_tokens"))
          .isEqualTo(chat.getJsonObject("usage").getInteger("total_tokens"));

      JsonObject refused = r.getJsonObject("refused");
      assertThat(refused.getInteger("status")).isEqualTo(400);
      assertThat(refused.getString("param")).isEqualTo("n");
      assertThat(refused.getString("type")).isEqualTo("invalid_request_error");
    }
  }

  /** A copy of src/test/js in the build directory with its packages installed (once). Shared with other node tests. */
  static Path prepare() throws Exception {
    Path source = Path.of("src", "test", "js");
    Path dir = Path.of("target", "openai-node-client");
    Files.createDirectories(dir);
    for (String file : List.of("package.json", "client.mjs", "structured.mjs", "anthropic.mjs", "responses.mjs")) {
      Files.copy(source.resolve(file), dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    JsonObject dependencies = new JsonObject(Files.readString(dir.resolve("package.json")))
        .getJsonObject("dependencies");
    if (!dependencies.fieldNames().stream()
        .allMatch(name -> Files.isRegularFile(dir.resolve("node_modules").resolve(name).resolve("package.json")))) {
      run(dir, 300, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error");
    }
    return dir;
  }

  static String run(Path dir, int timeoutSeconds, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    // Read while it runs, so a chatty process cannot block on a full pipe.
    var output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(output unreadable: " + e + ")";
      }
    });
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
    }
    String out = output.get(10, TimeUnit.SECONDS);
    assertThat(p.exitValue()).as(String.join(" ", command) + " failed:\n" + out).isZero();
    return out;
  }

  static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }
}
