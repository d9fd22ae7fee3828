package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.grammar.SchemaCheck;
import dev.tokenbus.testing.OpenAiStream;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Tool calls on {@code /v1/chat/completions} against stories260K, a model that knows nothing of
 * tools: when a call is required (or named), the grammar makes every answer a call of a declared
 * tool whose arguments validate against its parameters, whole and streamed as
 * {@code delta.tool_calls}; conversations that carry earlier calls and their results are taken.
 */
@Tag("engine")
@Tag("cluster")
class ToolCallRoutesTest {

  static final JsonObject WEATHER = new JsonObject("""
      {"type":"object","properties":{"city":{"type":"string","maxLength":20},"unit":{"type":"string","enum":["c","f"]},
       "days":{"type":"integer","minimum":1,"maximum":7}},"required":["city","unit"],"additionalProperties":false}""");
  static final JsonObject SEARCH = new JsonObject("""
      {"type":"object","properties":{"query":{"type":"string","maxLength":30},"limit":{"type":"integer","minimum":1,"maximum":10}},
       "required":["query"],"additionalProperties":false}""");
  static final Map<String, JsonObject> PARAMETERS = Map.of("get_weather", WEATHER, "search", SEARCH);
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.stories260k()).withThreads(1).withSlots(2)
        .withContextPerSequence(2048), GatewayOptions.defaults(), WorkerOptions.defaults("stories"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static JsonArray tools() {
    JsonArray tools = new JsonArray();
    PARAMETERS.forEach((name, schema) -> tools.add(new JsonObject().put("type", "function").put("function",
        new JsonObject().put("name", name).put("description", "Tool " + name).put("parameters", schema))));
    return tools;
  }

  static JsonObject request(Object toolChoice, boolean parallel, JsonObject sampling) {
    return sampling.copy().put("max_tokens", 1100).put("tools", tools()).put("tool_choice", toolChoice)
        .put("parallel_tool_calls", parallel).put("messages", new JsonArray()
            .add(new JsonObject().put("role", "user").put("content", "What is the weather in Paris?")));
  }

  static List<JsonObject> samplings() {
    return List.of(new JsonObject().put("temperature", 0), new JsonObject().put("temperature", 1.0).put("seed", 4),
        new JsonObject().put("temperature", 1.2).put("seed", 9).put("top_k", 0));
  }

  private static void assertValidCalls(JsonArray calls, String onlyName, String what) {
    assertThat(calls).as(what).isNotEmpty();
    for (int i = 0; i < calls.size(); i++) {
      JsonObject c = calls.getJsonObject(i);
      assertThat(c.getString("id")).matches("[a-zA-Z0-9]{9}");
      assertThat(c.getString("type")).isEqualTo("function");
      String name = c.getJsonObject("function").getString("name");
      assertThat(PARAMETERS).as(what).containsKey(name);
      if (onlyName != null) {
        assertThat(name).isEqualTo(onlyName);
      }
      String args = c.getJsonObject("function").getString("arguments");
      assertThat(SchemaCheck.errors(PARAMETERS.get(name), args)).as("%s: %s", what, args).isEmpty();
    }
  }

  @Test
  void aRequiredCallIsAlwaysAValidCallWholeAndStreamed() throws Exception {
    Object named = new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "search"));
    for (Object choice : List.of("required", named)) {
      String only = choice instanceof JsonObject ? "search" : null;
      for (boolean parallel : List.of(false, true)) {
        for (JsonObject sampling : samplings()) {
          String what = choice + " parallel=" + parallel + " " + sampling;
          JsonObject body = request(choice, parallel, sampling);
          HttpResponse<String> r = cluster.post("/v1/chat/completions", body.encode());
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          JsonObject c = OpenAiStream.choice(new JsonObject(r.body()));
          assertThat(c.getString("finish_reason")).as(what + r.body()).isEqualTo("tool_calls");
          JsonObject message = c.getJsonObject("message");
          assertThat(message.getString("role")).isEqualTo("assistant");
          assertThat(message.getValue("content")).isNull();
          JsonArray calls = message.getJsonArray("tool_calls");
          assertValidCalls(calls, only, what);
          if (!parallel) {
            assertThat(calls).hasSize(1);
          }

          // Streamed: the same calls, as delta.tool_calls with their index, id, name and arguments.
          OpenAiStream stream = OpenAiStream.post(cluster, "/v1/chat/completions", body.copy().put("stream", true));
          Map<Integer, JsonObject> byIndex = new LinkedHashMap<>();
          String finish = null;
          for (JsonObject chunk : stream.choiceChunks()) {
            JsonObject ch = OpenAiStream.choice(chunk);
            JsonObject delta = ch.getJsonObject("delta");
            assertThat(delta.getString("content", "")).isEmpty();
            JsonArray deltaCalls = delta.getJsonArray("tool_calls");
            if (deltaCalls != null) {
              for (int i = 0; i < deltaCalls.size(); i++) {
                JsonObject d = deltaCalls.getJsonObject(i);
                JsonObject acc = byIndex.computeIfAbsent(d.getInteger("index"), k -> new JsonObject().put("id", d.getString("id"))
                    .put("type", "function").put("function", new JsonObject().put("name", "").put("arguments", "")));
                JsonObject f = d.getJsonObject("function");
                JsonObject af = acc.getJsonObject("function");
                af.put("name", af.getString("name") + f.getString("name", ""));
                af.put("arguments", af.getString("arguments") + f.getString("arguments", ""));
              }
            }
            if (ch.getString("finish_reason") != null) {
              finish = ch.getString("finish_reason");
            }
          }
          assertThat(finish).isEqualTo("tool_calls");
          JsonArray streamed = new JsonArray(new ArrayList<>(byIndex.values()));
          assertValidCalls(streamed, only, what + " streamed");
          // Arguments are compact, the same bytes streamed and whole.
          assertThat(streamed.stream().map(o -> ((JsonObject) o).getJsonObject("function").encode()).toList())
              .as("the same calls as the whole answer").isEqualTo(calls.stream()
                  .map(o -> ((JsonObject) o).getJsonObject("function").encode()).toList());
        }
      }
    }
  }

  @Test
  void autoAnswersWithContentOrValidCalls() throws Exception {
    for (JsonObject sampling : samplings()) {
      HttpResponse<String> r = cluster.post("/v1/chat/completions", request("auto", true, sampling).encode());
      assertThat(r.statusCode()).isEqualTo(200);
      JsonObject c = OpenAiStream.choice(new JsonObject(r.body()));
      JsonObject message = c.getJsonObject("message");
      if (message.getJsonArray("tool_calls") != null) {
        assertThat(c.getString("finish_reason")).isIn("tool_calls", "length");
      } else {
        assertThat(message.getString("content")).isNotNull();
        assertThat(c.getString("finish_reason")).isIn("stop", "length");
      }
    }
  }

  @Test
  void aConversationWithEarlierCallsAndResultsIsTaken() throws Exception {
    JsonArray messages = new JsonArray()
        .add(new JsonObject().put("role", "system").put("content", "You help."))
        .add(new JsonObject().put("role", "user").put("content", "Weather in Oslo?"))
        .add(new JsonObject().put("role", "assistant").putNull("content").put("tool_calls", new JsonArray().add(
            new JsonObject().put("id", "call_1").put("type", "function").put("function", new JsonObject()
                .put("name", "get_weather").put("arguments", "{\"city\":\"Oslo\",\"unit\":\"c\"}")))))
        .add(new JsonObject().put("role", "tool").put("tool_call_id", "call_1").put("content", "{\"temp\": 3}"));
    JsonObject body = new JsonObject().put("max_tokens", 20).put("temperature", 0).put("tools", tools())
        .put("messages", messages);
    HttpResponse<String> r = cluster.post("/v1/chat/completions", body.encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    // tool_choice none: the tools are not offered, and the answer is plain content.
    r = cluster.post("/v1/chat/completions", body.copy().put("tool_choice", "none").encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(OpenAiStream.choice(new JsonObject(r.body())).getJsonObject("message").getValue("tool_calls")).isNull();
  }

  @Test
  void badToolRequestsAre400sNamingTheField() throws Exception {
    JsonArray user = new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"));
    Object[][] cases = {
        {new JsonObject().put("tools", tools()).put("tool_choice", new JsonObject().put("type", "function")
            .put("function", new JsonObject().put("name", "nope"))), "tool_choice"},
        {new JsonObject().put("tools", new JsonArray().add(new JsonObject().put("type", "function").put("function",
            new JsonObject().put("name", "f").put("parameters", new JsonObject().put("type", "object")
                .put("properties", new JsonObject().put("x", new JsonObject().put("not", new JsonObject())))))))
            .put("tool_choice", "required"), "tools[0].function.parameters"},
        {new JsonObject().put("tools", new JsonArray().add(new JsonObject().put("type", "function").put("function",
            new JsonObject().put("name", "bad name")))), "tools[0].function.name"},
        {new JsonObject().put("tools", tools()).put("response_format", new JsonObject().put("type", "json_object")), "tools"},
        {new JsonObject().put("tool_choice", "required"), "tool_choice"},
    };
    for (Object[] c : cases) {
      HttpResponse<String> r = cluster.post("/v1/chat/completions", ((JsonObject) c[0]).put("messages", user).encode());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getJsonObject("error").getString("param")).as(r.body()).isEqualTo(c[1]);
    }
    HttpResponse<String> r = cluster.post("/v1/chat/completions", new JsonObject().put("messages", new JsonArray()
        .add(new JsonObject().put("role", "tool").put("content", "x"))).encode());
    assertThat(new JsonObject(r.body()).getJsonObject("error").getString("param")).isEqualTo("messages[0].tool_call_id");
  }
}
