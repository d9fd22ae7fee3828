package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.JsonFrames;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code messages} instead of {@code prompt} on /v1/generate and the WebSocket: the worker renders
 * them with its model's template, so the generation is the one of the rendered prompt.
 */
@Tag("engine")
@Tag("cluster")
class ChatMessagesTest {

  private static final JsonArray MESSAGES = new JsonArray()
      .add(new JsonObject().put("role", "system").put("content", "Be brief."))
      .add(new JsonObject().put("role", "user").put("content", new JsonArray()
          .add(new JsonObject().put("type", "text").put("text", "Hi "))
          .add(new JsonObject().put("type", "text").put("text", "there"))));
  private static final String RENDERED = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there"
      + "<|im_end|>\n<|im_start|>assistant\n";

  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tinyChat()).withThreads(1).withSlots(2)
        .withContextPerSequence(512), GatewayOptions.defaults(), WorkerOptions.defaults("tiny-chat"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static JsonObject generate(JsonObject body) throws Exception {
    HttpResponse<String> r = cluster.post("/v1/generate", body.put("stream", false).put("max_tokens", 12)
        .put("temperature", 0).encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  @Test
  void messagesGenerateWhatTheirRenderedPromptGenerates() throws Exception {
    JsonObject chat = generate(new JsonObject().put("messages", MESSAGES));
    JsonObject plain = generate(new JsonObject().put("prompt", RENDERED));
    assertThat(chat.getString("text")).isEqualTo(plain.getString("text")).isNotEmpty();
    assertThat(chat.getJsonObject("usage").getInteger("prompt_tokens"))
        .isEqualTo(plain.getJsonObject("usage").getInteger("prompt_tokens"))
        .isEqualTo(cluster.engines.getFirst().tokenize(RENDERED, true).length);
  }

  @Test
  void badMessagesAreRefusedNamingTheField() throws Exception {
    for (var c : List.of(
        List.of("{\"messages\":\"hi\"}", "messages"),
        List.of("{\"messages\":[]}", "messages"),
        List.of("{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "messages[0].tool_call_id"),
        List.of("{\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}", "messages[0].role"),
        List.of("{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content"),
        List.of("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", "messages[0].content[0]"),
        List.of("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"prompt\":\"y\"}", "messages"))) {
      HttpResponse<String> r = cluster.post("/v1/generate", c.get(0));
      assertThat(r.statusCode()).as(c.get(0)).isEqualTo(400);
      JsonObject error = new JsonObject(r.body()).getJsonObject("error");
      assertThat(error.getString("type")).isEqualTo("invalid_request_error");
      assertThat(error.getString("param")).as(c.get(0)).isEqualTo(c.get(1));
    }
  }

  @Test
  void aWebSocketGenerateTakesMessages() throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    WebSocket ws = cluster.http.newWebSocketBuilder().buildAsync(
        URI.create("ws://127.0.0.1:" + cluster.gateway.port() + "/v1/ws"), new JsonFrames(f -> {
          frames.add(f);
          if (!"token".equals(f.getString("type"))) {
            done.complete(null);
          }
        })).get(10, TimeUnit.SECONDS);
    ws.sendText(new JsonObject().put("type", "generate").put("id", "c").put("messages", MESSAGES)
        .put("max_tokens", 12).put("temperature", 0).encode(), true).join();
    done.get(20, TimeUnit.SECONDS);
    JsonObject last = frames.getLast();
    assertThat(last.getString("type")).as(last.encode()).isEqualTo("done");
    StringBuilder text = new StringBuilder();
    frames.stream().filter(f -> "token".equals(f.getString("type"))).forEach(f -> text.append(f.getString("text")));
    assertThat(text.toString()).isEqualTo(generate(new JsonObject().put("prompt", RENDERED)).getString("text"));
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
  }
}
