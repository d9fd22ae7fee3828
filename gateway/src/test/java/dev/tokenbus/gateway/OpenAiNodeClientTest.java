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
 * streams a chat completion and a completion, reads their usage, gets a whole answer and a refusal,
 * and computes embeddings with {@code embeddings.create} in its default encoding (base64, decoded by
 * the client) and in the two it can ask for (src/test/js/client.mjs). The package is installed from the npm registry into the build
 * directory on first run. Skipped only when node or npm is not installed.
 */
@Tag("engine")
@Tag("cluster")
class OpenAiNodeClientTest {

  private static final String KEY = "sk-node-client";
  private static final String MODEL = "tiny-chat";

  @Test
  void theOpenAiNpmClientStreamsChatAndCompletionsReadsUsageAndEmbeds() throws Exception {
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

      JsonObject embeddings = r.getJsonObject("embeddings");
      assertThat(embeddings.getString("object")).isEqualTo("list");
      assertThat(embeddings.getString("model")).isEqualTo(MODEL);
      assertThat(embeddings.getJsonArray("indexes").getList()).containsExactly(0, 1);
      int tokens = cluster.engine().tokenize("The quick brown fox", true, false).length
          + cluster.engine().tokenize("jumped over the lazy dog", true, false).length;
      assertThat(embeddings.getJsonObject("usage")).isEqualTo(new JsonObject().put("prompt_tokens", tokens)
          .put("total_tokens", tokens));
      int dims = cluster.engine().embedder().orElseThrow().dimensions();
      for (int i = 0; i < 2; i++) {
        float[] byDefault = floats(embeddings.getJsonArray("byDefault").getJsonArray(i));
        float[] asFloat = floats(embeddings.getJsonArray("float").getJsonArray(i));
        java.nio.FloatBuffer asBase64 = java.nio.ByteBuffer.wrap(java.util.Base64.getDecoder()
            .decode(embeddings.getJsonArray("base64").getString(i))).order(java.nio.ByteOrder.LITTLE_ENDIAN)
            .asFloatBuffer();
        float[] decoded = new float[asBase64.remaining()];
        asBase64.get(decoded);
        assertThat(asFloat).hasSize(dims);
        assertThat(byDefault).as("the client's own base64 decoding").containsExactly(asFloat);
        assertThat(decoded).containsExactly(asFloat);
        double norm = 0;
        for (float x : asFloat) {
          norm += x * x;
        }
        assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
      }
      assertThat(floats(embeddings.getJsonArray("float").getJsonArray(0)))
          .isNotEqualTo(floats(embeddings.getJsonArray("float").getJsonArray(1)));
      JsonObject embeddingRefused = embeddings.getJsonObject("refused");
      assertThat(embeddingRefused.getInteger("status")).isEqualTo(400);
      assertThat(embeddingRefused.getString("param")).isEqualTo("input");
    }
  }

  private static float[] floats(io.vertx.core.json.JsonArray a) {
    float[] v = new float[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.getNumber(i).floatValue();
    }
    return v;
  }

  /** A copy of src/test/js in the build directory with its packages installed (once). Shared with other node tests. */
  static Path prepare() throws Exception {
    Path source = Path.of("src", "test", "js");
    Path dir = Path.of("target", "openai-node-client");
    Files.createDirectories(dir);
    for (String file : List.of("package.json", "client.mjs", "structured.mjs", "anthropic.mjs", "responses.mjs",
        "thinking.mjs")) {
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
