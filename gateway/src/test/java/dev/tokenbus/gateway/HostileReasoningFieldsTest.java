package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.gguf.TinyArchModel;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The thinking fields of the chat route under hostile values, on a model whose template takes them
 * (Qwen3's): wrong types, values out of range, the server's own template variables, size and depth
 * bombs. Each is a 400 in OpenAI's error shape naming the field, and the worker serves on.
 */
@Tag("engine")
@Tag("cluster")
class HostileReasoningFieldsTest {

  private static TestCluster cluster;
  private static Path model;

  @BeforeAll
  static void start() throws Exception {
    model = Files.createTempFile("tiny-qwen3-hostile", ".gguf");
    TinyArchModel.writer(TinyArchModel.Architecture.QWEN3, 42, TinyArchModel.publishedTemplate("qwen3")).writeTo(model);
    cluster = TestCluster.start(1, EngineConfig.forModel(model).withThreads(1).withSlots(2)
        .withContextPerSequence(512), GatewayOptions.defaults().withBodyLimitBytes(256 * 1024),
        WorkerOptions.defaults("qwen3"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    Files.deleteIfExists(model);
  }

  private record Case(String param, String field, Object value) {}

  private static String nested(int depth) {
    return "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
  }

  private static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    String kwargs = "chat_template_kwargs";
    for (Object v : new Object[] {"x", 5, true, new JsonArray().add(1), new JsonObject().put("messages", new JsonArray()),
        new JsonObject().put("tools", 1), new JsonObject().put("add_generation_prompt", false),
        new JsonObject().put("bos_token", "<|im_start|>"), new JsonObject().put("raise_exception", "x"),
        new JsonObject().put("bad key", 1), new JsonObject().put("k".repeat(5000), 1),
        new JsonObject().put("big", "x".repeat(40_000)), new JsonObject(nested(10)), new JsonObject(nested(400))}) {
      cases.add(new Case(kwargs, kwargs, v));
    }
    for (Object v : new Object[] {"yes", 1, new JsonObject(), new JsonArray()}) {
      cases.add(new Case("enable_thinking", "enable_thinking", v));
    }
    for (Object v : new Object[] {"bogus", "HIGH", "", 5, new JsonArray().add("low"), "x".repeat(10_000)}) {
      cases.add(new Case("reasoning_effort", "reasoning_effort", v));
    }
    for (Object v : new Object[] {-2, 1_000_001, "x", 1.5, 1e30, Long.MAX_VALUE, new JsonObject()}) {
      cases.add(new Case("reasoning_budget", "reasoning_budget", v));
    }
    for (Object v : new Object[] {"bogus", 7, new JsonArray(), "x".repeat(10_000)}) {
      cases.add(new Case("reasoning_format", "reasoning_format", v));
    }
    return cases;
  }

  private static JsonObject chat() {
    return new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hi")))
        .put("max_tokens", 4).put("temperature", 0);
  }

  private static void assertRefused(JsonObject body, String param, String what) throws Exception {
    HttpResponse<String> r = cluster.post("/v1/chat/completions", body.encode());
    assertThat(r.statusCode()).as(what + ": " + r.body()).isEqualTo(400);
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertThat(error.getString("type")).as(what).isEqualTo("invalid_request_error");
    assertThat(error.getString("param")).as(what).startsWith(param);
    assertThat(error.getString("message")).as(what).isNotBlank();
  }

  @Test
  void hostileValuesAreRefusedNamingTheirField() throws Exception {
    for (Case c : cases()) {
      String shown = c.value().toString();
      String what = c.field() + " = " + (shown.length() > 60 ? shown.substring(0, 60) + "…" : shown);
      assertRefused(chat().put(c.field(), c.value()), c.param(), what);
      assertRefused(chat().put(c.field(), c.value()).put("stream", true), c.param(), what + " (streamed)");
    }
    // An earlier turn's reasoning: a string, and only on an assistant turn.
    JsonArray turns = new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hi")
        .put("reasoning_content", "x"));
    assertRefused(chat().put("messages", turns), "messages[0].reasoning_content", "reasoning on a user turn");
    turns = new JsonArray().add(new JsonObject().put("role", "user").put("content", "Hi"))
        .add(new JsonObject().put("role", "assistant").put("content", "Hello").put("reasoning", 5))
        .add(new JsonObject().put("role", "user").put("content", "Bye"));
    assertRefused(chat().put("messages", turns), "messages[1].reasoning", "reasoning as a number");

    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.engines.getFirst().stats().active() == 0);
    assertThat(cluster.status().getJsonArray("streams")).isEmpty();
    HttpResponse<String> after = cluster.post("/v1/chat/completions", chat().put("reasoning_effort", "none")
        .put("chat_template_kwargs", new JsonObject().put("enable_thinking", true)).put("reasoning_budget", 0).encode());
    assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
  }
}
