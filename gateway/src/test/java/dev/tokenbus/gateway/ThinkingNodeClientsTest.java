package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.gguf.TinyArchModel;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Clients we did not write read a thinking model's reasoning apart from its answer
 * (src/test/js/thinking.mjs), on a tiny qwen3 model with Qwen3's published template whose answer
 * a grammar forces: the {@code openai} package's chat completions ({@code reasoning_content}) and
 * Responses API (a {@code reasoning} item), and {@code @anthropic-ai/sdk} (a {@code thinking}
 * block), each whole and streamed. Skipped only when node or npm is not installed.
 */
@Tag("engine")
@Tag("cluster")
class ThinkingNodeClientsTest {

  private static final String KEY = "sk-thinking-clients";

  @Test
  void theSdksReadTheReasoningApartFromTheAnswer() throws Exception {
    assumeTrue(OpenAiNodeClientTest.onPath("node") && OpenAiNodeClientTest.onPath("npm"),
        "node and npm are not installed; skipping the thinking check of the npm clients");
    Path dir = OpenAiNodeClientTest.prepare();
    Path model = Files.createTempFile("tiny-qwen3-sdk-thinking", ".gguf");
    try {
      TinyArchModel.writer(TinyArchModel.Architecture.QWEN3, 42, TinyArchModel.publishedTemplate("qwen3"))
          .writeTo(model);
      try (TestCluster cluster = TestCluster.start(1, EngineConfig.forModel(model).withThreads(1).withSlots(2)
          .withContextPerSequence(1024), GatewayOptions.defaults().withApiKeys(Set.of(KEY)),
          WorkerOptions.defaults("qwen3"))) {
        String root = cluster.uri("/").toString().replaceAll("/$", "");
        String out = OpenAiNodeClientTest.run(dir, 120, "node", "thinking.mjs", root, KEY, "qwen3",
            ReasoningRoutesTest.THOUGHT);
        JsonObject r = new JsonObject(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
        System.out.println("the npm clients saw: " + r.encode());

        JsonObject chat = r.getJsonObject("chat");
        for (String how : new String[] {"whole", "streamed"}) {
          assertThat(chat.getJsonObject(how).getString("reasoning")).as(how).isEqualTo("I should greet.");
          assertThat(chat.getJsonObject(how).getString("content")).as(how).isEqualTo("Hello!");
        }
        assertThat(chat.getJsonObject("streamed").getBoolean("reasoningAfterContent")).isFalse();

        JsonObject responses = r.getJsonObject("responses");
        JsonObject whole = responses.getJsonObject("whole");
        assertThat(whole.getJsonArray("types").getList()).containsExactly("reasoning", "message");
        assertThat(whole.getString("reasoning")).isEqualTo("I should greet.");
        assertThat(whole.getString("text")).isEqualTo("Hello!");
        assertThat(whole.getInteger("reasoningTokens")).isPositive();
        JsonObject streamed = responses.getJsonObject("streamed");
        assertThat(streamed.getString("reasoning")).isEqualTo("I should greet.");
        assertThat(streamed.getString("text")).isEqualTo("Hello!");
        assertThat(streamed.getJsonArray("types").getList()).containsExactly("reasoning", "message");

        JsonObject messages = r.getJsonObject("messages");
        for (String how : new String[] {"whole", "streamed"}) {
          JsonObject m = messages.getJsonObject(how);
          assertThat(m.getJsonArray("types").getList()).as(how).containsExactly("thinking", "text");
          assertThat(m.getString("thinking")).as(how).isEqualTo("I should greet.");
          assertThat(m.getString("text")).as(how).isEqualTo("Hello!");
        }
      }
    } finally {
      Files.deleteIfExists(model);
    }
  }
}
