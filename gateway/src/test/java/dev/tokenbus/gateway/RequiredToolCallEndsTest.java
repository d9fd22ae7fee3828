package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.toolcall.ToolCallGrammar;
import dev.tokenbus.testing.OpenAiStream;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A required (or named) tool call ends on its own, with {@code finish_reason: "tool_calls"}, whole
 * and streamed: the grammar counts the calls, so after the last one allowed only the end is, even
 * for a model that would rather go on (the generated tiny model never ends by itself). With
 * {@code parallel_tool_calls: false} the answer is exactly one call.
 */
@Tag("engine")
@Tag("cluster")
class RequiredToolCallEndsTest {

  static final JsonObject TIME = new JsonObject("""
      {"type":"object","properties":{"tz":{"type":"string","maxLength":8}},"required":["tz"],
       "additionalProperties":false}""");

  private static JsonObject request(Object choice, Boolean parallel, int maxTokens) {
    JsonObject body = new JsonObject().put("temperature", 0).put("max_tokens", maxTokens).put("tool_choice", choice)
        .put("tools", new JsonArray().add(new JsonObject().put("type", "function").put("function", new JsonObject()
            .put("name", "get_time").put("description", "The time in a time zone").put("parameters", TIME))))
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "What time is it?")));
    return parallel == null ? body : body.put("parallel_tool_calls", parallel);
  }

  /** Every way to require a call ends well before {@code maxTokens}, whole and streamed, with its calls. */
  private static void assertRequiredCallsEnd(Path model, int maxTokens) throws Exception {
    try (TestCluster cluster = TestCluster.start(1, EngineConfig.forModel(model).withThreads(1).withSlots(1)
        .withContextPerSequence(2048), GatewayOptions.defaults(), WorkerOptions.defaults("m"))) {
      Object named = new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "get_time"));
      for (Object choice : List.of("required", named)) {
        for (Boolean parallel : new Boolean[] {null, false}) {
          JsonObject body = request(choice, parallel, maxTokens);
          String what = choice + " parallel_tool_calls=" + parallel;
          HttpResponse<String> r = cluster.post("/v1/chat/completions", body.encode());
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          JsonObject answer = new JsonObject(r.body());
          JsonObject c = OpenAiStream.choice(answer);
          assertThat(c.getString("finish_reason")).as("%s: %s", what, r.body()).isEqualTo("tool_calls");
          JsonArray calls = c.getJsonObject("message").getJsonArray("tool_calls");
          assertThat(calls.size()).as(what).isBetween(1, parallel == null ? ToolCallGrammar.MAX_PARALLEL_CALLS : 1);
          assertThat(answer.getJsonObject("usage").getInteger("completion_tokens")).as(what).isLessThan(maxTokens);

          String finish = null;
          int maxIndex = -1;
          for (JsonObject chunk : OpenAiStream.post(cluster, "/v1/chat/completions", body.copy().put("stream", true))
              .choiceChunks()) {
            JsonObject ch = OpenAiStream.choice(chunk);
            JsonArray deltas = ch.getJsonObject("delta").getJsonArray("tool_calls");
            for (int i = 0; deltas != null && i < deltas.size(); i++) {
              maxIndex = Math.max(maxIndex, deltas.getJsonObject(i).getInteger("index"));
            }
            finish = ch.getString("finish_reason") != null ? ch.getString("finish_reason") : finish;
          }
          assertThat(finish).as(what + " streamed").isEqualTo("tool_calls");
          assertThat(maxIndex + 1).as(what + " streamed calls").isEqualTo(calls.size());
        }
      }
    }
  }

  @Test
  void onStories260kWellWithin200Tokens() throws Exception {
    assertRequiredCallsEnd(TestModels.stories260k(), 200);
  }

  @Test
  void onAGeneratedModelThatNeverEndsByItself() throws Exception {
    assertRequiredCallsEnd(TestModels.tiny(), 600);
  }
}
