package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official {@code @anthropic-ai/sdk} npm package, unchanged, against a running gateway and
 * worker (src/test/js/anthropic.mjs): {@code messages.create}, {@code messages.stream} read through
 * its text events and final message, a tool round trip (a required call streamed as input JSON,
 * then its result), {@code messages.countTokens} and a refusal as the SDK's typed error. Installed
 * with the openai package ({@link OpenAiNodeClientTest#prepare}). Skipped only when node or npm is
 * not installed.
 */
@Tag("engine")
@Tag("cluster")
class AnthropicNodeClientTest {

  private static final String KEY = "sk-ant-node-client";

  /**
   * @param model the generated tiny chat model, or the trained stories260K of ../shared/models
   *     (skipped when absent), whose vocabulary and template (none: ChatML) are real ones
   */
  @ParameterizedTest
  @ValueSource(strings = {"tiny-chat", "stories260K"})
  void theAnthropicSdkCreatesStreamsCallsToolsAndCountsTokens(String model) throws Exception {
    assumeTrue(OpenAiNodeClientTest.onPath("node") && OpenAiNodeClientTest.onPath("npm"),
        "node and npm are not installed; skipping the @anthropic-ai/sdk client check");
    Path file = "tiny-chat".equals(model) ? TestModels.tinyChat() : TestModels.stories260k();
    Path dir = OpenAiNodeClientTest.prepare();
    try (TestCluster cluster = TestCluster.start(1, EngineConfig.forModel(file).withThreads(1)
        .withSlots(2).withContextPerSequence(2048), GatewayOptions.defaults().withApiKeys(Set.of(KEY)),
        WorkerOptions.defaults(model))) {
      String root = cluster.uri("/").toString().replaceAll("/$", "");
      String out = OpenAiNodeClientTest.run(dir, 120, "node", "anthropic.mjs", root, KEY, model);
      JsonObject r = new JsonObject(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
      System.out.println("@anthropic-ai/sdk saw: " + r.encode());

      JsonObject whole = r.getJsonObject("whole");
      assertThat(whole.getString("id")).startsWith("msg_");
      assertThat(whole.getString("type")).isEqualTo("message");
      assertThat(whole.getString("role")).isEqualTo("assistant");
      assertThat(whole.getJsonArray("content")).containsExactly(new JsonObject().put("type", "text")
          .put("text", "Hello from tokenbus"));
      assertThat(whole.getString("stop_reason")).isEqualTo("end_turn");
      assertThat(whole.getJsonObject("usage").getInteger("output_tokens")).isPositive();

      JsonObject streamed = r.getJsonObject("streamed");
      assertThat(streamed.getJsonArray("texts")).hasSizeGreaterThan(1);
      assertThat(streamed.getString("text")).isEqualTo("Hello from tokenbus");
      assertThat(streamed.getJsonArray("content")).isEqualTo(whole.getJsonArray("content"));
      assertThat(streamed.getString("stop_reason")).isEqualTo("end_turn");
      assertThat(streamed.getJsonArray("events").getList()).startsWith("message_start", "content_block_start")
          .endsWith("content_block_stop", "message_delta", "message_stop");
      JsonObject usage = streamed.getJsonObject("usage");
      assertThat(usage.getInteger("output_tokens")).isEqualTo(whole.getJsonObject("usage").getInteger("output_tokens"));
      int prompt = usage.getInteger("input_tokens") + usage.getInteger("cache_read_input_tokens");
      assertThat(r.getInteger("count")).as("count_tokens: the prompt the generation read").isEqualTo(prompt);

      JsonObject tools = r.getJsonObject("tools");
      assertThat(tools.getString("stop_reason")).isEqualTo("tool_use");
      assertThat(tools.getJsonArray("blocks").getList()).containsExactly("tool_use");
      JsonObject use = tools.getJsonObject("use");
      assertThat(use.getString("id")).startsWith("toolu_");
      assertThat(use.getString("name")).isEqualTo("get_weather");
      assertThat(use.getJsonObject("input").getString("city")).isNotNull();
      assertThat(new JsonObject(tools.getString("partial_json"))).isEqualTo(use.getJsonObject("input"));
      assertThat(tools.getJsonArray("answer")).isEqualTo(new JsonArray().add(new JsonObject().put("type", "text")
          .put("text", "It is sunny.")));
      assertThat(tools.getString("answer_stop")).isEqualTo("end_turn");

      JsonObject refused = r.getJsonObject("refused");
      assertThat(refused.getInteger("status")).isEqualTo(400);
      assertThat(refused.getBoolean("bad")).isTrue();
      assertThat(refused.getString("type")).isEqualTo("invalid_request_error");
      assertThat(refused.getString("message")).contains("image");
    }
  }
}
