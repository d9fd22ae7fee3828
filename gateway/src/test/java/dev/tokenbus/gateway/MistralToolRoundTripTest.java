package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.gguf.TinyArchModel;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A tool-call round trip on a model with Mistral v0.3's published chat template, which refuses a
 * conversation whose tool-call ids are not 9 letters and digits: the ids the gateway gives its calls
 * must come back through that template as they are.
 */
@Tag("cluster")
class MistralToolRoundTripTest {

  private static TestCluster cluster;
  private static Path model;

  @BeforeAll
  static void start() throws Exception {
    model = Files.createTempFile("tiny-mistral-template", ".gguf");
    TinyArchModel.writer(TinyArchModel.Architecture.LLAMA, 42, TinyArchModel.publishedTemplate("mistral-v0.3"))
        .writeTo(model);
    cluster = TestCluster.start(1, EngineConfig.forModel(model).withThreads(1).withSlots(1)
        .withContextPerSequence(2048), GatewayOptions.defaults(), WorkerOptions.defaults("mistral"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    Files.deleteIfExists(model);
  }

  @Test
  void aRequiredCallGoesBackThroughTheTemplateWithItsResult() throws Exception {
    JsonArray tools = new JsonArray().add(new JsonObject().put("type", "function").put("function", new JsonObject()
        .put("name", "get_weather").put("description", "The weather in a city").put("parameters", new JsonObject("""
            {"type":"object","properties":{"city":{"type":"string","maxLength":12}},"required":["city"],
             "additionalProperties":false}"""))));
    JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "Weather in Paris?"));
    JsonObject first = new JsonObject().put("messages", messages).put("tools", tools).put("tool_choice", "required")
        .put("temperature", 0).put("max_tokens", 200);

    HttpResponse<String> r = cluster.post("/v1/chat/completions", first.encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonObject message = new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0).getJsonObject("message");
    JsonArray calls = message.getJsonArray("tool_calls");
    assertThat(calls).isNotEmpty();
    String id = calls.getJsonObject(0).getString("id");
    assertThat(id).matches("[a-zA-Z0-9]{9}");

    JsonArray next = messages.copy().add(new JsonObject().put("role", "assistant").putNull("content")
        .put("tool_calls", calls)).add(new JsonObject().put("role", "tool").put("tool_call_id", id)
        .put("content", "{\"temperature\": 18}"));
    r = cluster.post("/v1/chat/completions", new JsonObject().put("messages", next).put("tools", tools)
        .put("temperature", 0).put("max_tokens", 8).encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getJsonObject("usage").getInteger("completion_tokens")).isPositive();
  }
}
