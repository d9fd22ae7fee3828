package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.grammar.SchemaCheck;
import dev.tokenbus.gateway.grammar.SchemaCorpus;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The official {@code openai} npm package's structured outputs ({@code parse()} and the stream
 * helper with a JSON Schema response format) and tool calling (a required and a named call, whole
 * and streamed, then the next round with the result) against a node on stories260K, where the
 * grammar guarantees the shape (src/test/js/structured.mjs). Skipped without node and npm, or
 * without stories260K.
 */
@Tag("engine")
@Tag("cluster")
class OpenAiStructuredClientTest {

  private static final String KEY = "sk-structured";

  @Test
  void theOpenAiNpmClientGetsSchemaValidJsonAndToolCalls() throws Exception {
    assumeTrue(OpenAiNodeClientTest.onPath("node") && OpenAiNodeClientTest.onPath("npm"),
        "node and npm are not installed; skipping the openai npm client check");
    Path dir = OpenAiNodeClientTest.prepare();
    JsonObject schema = SchemaCorpus.bounded().get("person");
    JsonObject weather = ToolCallRoutesTest.WEATHER;
    try (TestCluster cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.stories260k()).withThreads(1)
        .withSlots(2).withContextPerSequence(2048), GatewayOptions.defaults().withApiKeys(Set.of(KEY)),
        WorkerOptions.defaults("stories"))) {
      String out = OpenAiNodeClientTest.run(dir, 300, "node", "structured.mjs", cluster.uri("/v1").toString(), KEY,
          "stories", schema.encode(), weather.encode());
      JsonObject r = new JsonObject(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
      System.out.println("openai npm client saw: " + r.encode());

      for (String key : new String[] {"parsed", "streamed"}) {
        JsonObject p = r.getJsonObject(key);
        assertThat(p.getString("finish")).as(key).isEqualTo("stop");
        assertThat(SchemaCheck.errors(schema, p.getString("content"))).as(key).isEmpty();
        assertThat(p.getJsonObject("value")).as("the client parsed it").isEqualTo(new JsonObject(p.getString("content")));
      }
      for (String key : new String[] {"tools", "toolsStreamed"}) {
        JsonObject t = r.getJsonObject(key);
        assertThat(t.getString("finish")).as(key).isEqualTo("tool_calls");
        JsonArray calls = t.getJsonArray("calls");
        assertThat(calls).as(key).hasSize(1);
        JsonObject call = calls.getJsonObject(0);
        assertThat(call.getString("id")).matches("[a-zA-Z0-9]{9}");
        assertThat(call.getJsonObject("function").getString("name")).isEqualTo("get_weather");
        assertThat(SchemaCheck.errors(weather, call.getJsonObject("function").getString("arguments"))).as(key).isEmpty();
      }
      assertThat(r.getJsonObject("nextRound").getString("finish")).isIn("stop", "length");
    }
  }
}
