package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.OpenAiStream;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Constrained JSON is compact: a {@code response_format} answer and a required call's arguments
 * have no whitespace between their JSON tokens, and a call's arguments are the same bytes whole and
 * streamed.
 */
@Tag("engine")
@Tag("cluster")
class CompactJsonOutputTest {

  static final JsonObject MOOD = new JsonObject("""
      {"type":"object","properties":{"mood":{"type":"string","enum":["happy","scared"]},"score":{"type":"number"},
       "tags":{"type":"array","items":{"type":"string","maxLength":6},"maxItems":3}},"required":["mood","score","tags"],
       "additionalProperties":false}""");

  /** How many whitespace characters {@code json} has outside its strings. */
  static int whitespaceBetweenTokens(String json) {
    int count = 0;
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (Character.isWhitespace(c)) {
        count++;
      }
    }
    return count;
  }

  private static void assertCompact(Path model) throws Exception {
    try (TestCluster cluster = TestCluster.start(1, EngineConfig.forModel(model).withThreads(1).withSlots(1)
        .withContextPerSequence(2048), GatewayOptions.defaults(), WorkerOptions.defaults("m"))) {
      JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "How do you feel?"));
      for (JsonObject sampling : List.of(new JsonObject().put("temperature", 0),
          new JsonObject().put("temperature", 1.0).put("seed", 3))) {
        JsonObject structured = sampling.copy().put("max_tokens", 400).put("messages", messages)
            .put("response_format", new JsonObject().put("type", "json_schema").put("json_schema",
                new JsonObject().put("name", "mood").put("schema", MOOD)));
        HttpResponse<String> r = cluster.post("/v1/chat/completions", structured.encode());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonObject c = OpenAiStream.choice(new JsonObject(r.body()));
        String content = c.getJsonObject("message").getString("content");
        assertThat(c.getString("finish_reason")).as(content).isEqualTo("stop");
        assertThat(whitespaceBetweenTokens(content)).as(content).isZero();

        JsonObject calling = sampling.copy().put("max_tokens", 400).put("messages", messages)
            .put("tool_choice", "required").put("tools", new JsonArray().add(new JsonObject().put("type", "function")
                .put("function", new JsonObject().put("name", "feel").put("parameters", MOOD))));
        r = cluster.post("/v1/chat/completions", calling.encode());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonArray calls = OpenAiStream.choice(new JsonObject(r.body())).getJsonObject("message")
            .getJsonArray("tool_calls");
        Map<Integer, String> streamed = new LinkedHashMap<>();
        for (JsonObject chunk : OpenAiStream.post(cluster, "/v1/chat/completions", calling.copy().put("stream", true))
            .choiceChunks()) {
          JsonArray deltas = OpenAiStream.choice(chunk).getJsonObject("delta").getJsonArray("tool_calls");
          for (int i = 0; deltas != null && i < deltas.size(); i++) {
            JsonObject d = deltas.getJsonObject(i);
            streamed.merge(d.getInteger("index"), d.getJsonObject("function").getString("arguments", ""), String::concat);
          }
        }
        assertThat(streamed).as(r.body()).hasSize(calls.size());
        for (int i = 0; i < calls.size(); i++) {
          String whole = calls.getJsonObject(i).getJsonObject("function").getString("arguments");
          assertThat(streamed.get(i)).as("the same bytes streamed as whole").isEqualTo(whole);
          assertThat(whitespaceBetweenTokens(whole)).as(whole).isZero();
        }
      }
    }
  }

  @Test
  void onStories260k() throws Exception {
    assertCompact(TestModels.stories260k());
  }

  @Test
  void onAGeneratedModel() throws Exception {
    assertCompact(TestModels.tiny());
  }
}
