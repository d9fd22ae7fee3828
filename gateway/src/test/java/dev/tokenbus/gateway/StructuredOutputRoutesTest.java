package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.grammar.SchemaCheck;
import dev.tokenbus.gateway.grammar.SchemaCorpus;
import dev.tokenbus.testing.JsonFrames;
import dev.tokenbus.testing.OpenAiStream;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Structured output on every route of a running cluster of stories260K workers: the native
 * {@code json_schema} and {@code grammar} on /v1/generate (SSE and whole) and the WebSocket,
 * {@code response_format} on /v1/completions and /v1/chat/completions (streamed and whole). Every
 * answer is JSON that validates against its schema, also when its stream moves to another worker
 * half-way; a bad grammar or schema is a 400 naming the field.
 */
@Tag("engine")
@Tag("cluster")
class StructuredOutputRoutesTest {

  private static final List<String> SCHEMAS = List.of("person", "refs-and-nesting", "arrays", "enum-and-const");
  private static final String SAMPLED = "{\"temperature\":1.0,\"seed\":7}";
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    EngineConfig engine = EngineConfig.forModel(TestModels.stories260k()).withThreads(1).withSlots(2)
        .withContextPerSequence(1024);
    cluster = TestCluster.start(2, engine, GatewayOptions.defaults(), WorkerOptions.defaults("stories")
        .withDrainTimeoutMs(0));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Map<String, JsonObject> schemas() {
    Map<String, JsonObject> all = SchemaCorpus.bounded();
    return SCHEMAS.stream().collect(java.util.stream.Collectors.toMap(n -> n, all::get));
  }

  private static List<JsonObject> samplings() {
    return List.of(new JsonObject().put("temperature", 0), new JsonObject(SAMPLED));
  }

  private static void assertValid(JsonObject schema, String json, String what) {
    assertThat(SchemaCheck.errors(schema, json)).as("%s: %s", what, json).isEmpty();
  }

  @Test
  void nativeGenerateFollowsTheSchemaStreamedAndWhole() throws Exception {
    for (var e : schemas().entrySet()) {
      for (JsonObject sampling : samplings()) {
        JsonObject body = sampling.copy().put("prompt", "Once upon a time").put("max_tokens", 400)
            .put("json_schema", e.getValue());
        HttpResponse<String> whole = cluster.post("/v1/generate", body.copy().put("stream", false).encode());
        assertThat(whole.statusCode()).as(whole.body()).isEqualTo(200);
        JsonObject r = new JsonObject(whole.body());
        assertThat(r.getString("finish_reason")).isEqualTo("stop");
        assertValid(e.getValue(), r.getString("text"), e.getKey() + " whole");

        try (RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate", body.encode(), 0)) {
          StringBuilder text = new StringBuilder();
          Sse sse = client.sse();
          for (Sse.Event ev = sse.next(); ev != null; ev = sse.next()) {
            if (ev.event().equals("token")) {
              text.append(ev.data().getString("text"));
            }
          }
          assertThat(text.toString()).isEqualTo(r.getString("text"));
        }
      }
    }
  }

  @Test
  void theWebSocketTakesAGrammar() throws Exception {
    List<JsonObject> frames = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    WebSocket ws = cluster.http.newWebSocketBuilder().buildAsync(
        URI.create("ws://127.0.0.1:" + cluster.gateway.port() + "/v1/ws"), new JsonFrames(f -> {
          frames.add(f);
          if (!"token".equals(f.getString("type"))) {
            done.complete(null);
          }
        })).get(10, TimeUnit.SECONDS);
    JsonObject schema = SchemaCorpus.bounded().get("person");
    ws.sendText(new JsonObject().put("type", "generate").put("id", "s").put("prompt", "Lily").put("max_tokens", 300)
        .put("temperature", 0.8).put("seed", 3).put("json_schema", schema).encode(), true).join();
    done.get(30, TimeUnit.SECONDS);
    assertThat(frames.getLast().getString("type")).as(frames.getLast().encode()).isEqualTo("done");
    StringBuilder text = new StringBuilder();
    frames.stream().filter(f -> "token".equals(f.getString("type"))).forEach(f -> text.append(f.getString("text")));
    assertValid(schema, text.toString(), "websocket");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
  }

  @Test
  void openAiRoutesFollowResponseFormat() throws Exception {
    for (var e : schemas().entrySet()) {
      JsonObject format = new JsonObject().put("type", "json_schema").put("json_schema",
          new JsonObject().put("name", e.getKey()).put("strict", true).put("schema", e.getValue()));
      for (JsonObject sampling : samplings()) {
        JsonObject chat = sampling.copy().put("max_tokens", 400).put("response_format", format).put("messages",
            new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me about Lily.")));
        JsonObject completion = sampling.copy().put("max_tokens", 400).put("response_format", format)
            .put("prompt", "Once upon a time");

        HttpResponse<String> r = cluster.post("/v1/chat/completions", chat.encode());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonObject choice = OpenAiStream.choice(new JsonObject(r.body()));
        assertThat(choice.getString("finish_reason")).isEqualTo("stop");
        String content = choice.getJsonObject("message").getString("content");
        assertValid(e.getValue(), content, e.getKey() + " chat");

        StringBuilder streamed = new StringBuilder();
        for (JsonObject chunk : OpenAiStream.post(cluster, "/v1/chat/completions", chat.copy().put("stream", true))
            .choiceChunks()) {
          String delta = OpenAiStream.choice(chunk).getJsonObject("delta").getString("content");
          streamed.append(delta == null ? "" : delta);
        }
        assertThat(streamed.toString()).isEqualTo(content);

        r = cluster.post("/v1/completions", completion.encode());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String text = OpenAiStream.choice(new JsonObject(r.body())).getString("text");
        assertValid(e.getValue(), text, e.getKey() + " completion");
        StringBuilder streamedText = new StringBuilder();
        for (JsonObject chunk : OpenAiStream.post(cluster, "/v1/completions", completion.copy().put("stream", true))
            .choiceChunks()) {
          streamedText.append(OpenAiStream.choice(chunk).getString("text"));
        }
        assertThat(streamedText.toString()).isEqualTo(text);
      }
    }
  }

  @Test
  void jsonObjectModeAnswersWithAnObject() throws Exception {
    for (JsonObject sampling : samplings()) {
      HttpResponse<String> r = cluster.post("/v1/chat/completions", sampling.copy().put("max_tokens", 600)
          .put("response_format", new JsonObject().put("type", "json_object")).put("messages",
              new JsonArray().add(new JsonObject().put("role", "user").put("content", "JSON please"))).encode());
      assertThat(r.statusCode()).isEqualTo(200);
      JsonObject choice = OpenAiStream.choice(new JsonObject(r.body()));
      if ("stop".equals(choice.getString("finish_reason"))) {
        assertThat(new JsonObject(choice.getJsonObject("message").getString("content"))).isNotNull();
      } else {
        // An object with unbounded strings may run into max_tokens; it is an object's beginning all the same.
        assertThat(choice.getJsonObject("message").getString("content")).startsWith("{");
      }
    }
  }

  @Test
  void aConstrainedStreamMovesToAnotherWorkerAndStillValidates() throws Exception {
    JsonObject schema = SchemaCorpus.bounded().get("refs-and-nesting");
    String body = new JsonObject(SAMPLED).put("prompt", "Once upon a time").put("max_tokens", 400)
        .put("stream_delay_ms", 4).put("json_schema", schema).encode();
    String reference;
    try (RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate", body, 0)) {
      reference = read(client.sse(), () -> { }, -1);
    }
    try (RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate", body, 0)) {
      int victim = workerOfTheStream();
      ClusterNode node = cluster.workerNodes.get(victim);
      String moved = read(client.sse(), node::close, 12);
      assertThat(moved).isEqualTo(reference);
      assertValid(schema, moved, "moved");
      cluster.replaceWorker(victim);
    }
  }

  private static String read(Sse sse, Runnable afterTokens, int after) throws Exception {
    StringBuilder text = new StringBuilder();
    int n = 0;
    for (Sse.Event e = sse.next(); e != null; e = sse.next()) {
      switch (e.event()) {
        case "token" -> {
          text.append(e.data().getString("text"));
          if (++n == after) {
            afterTokens.run();
          }
        }
        case "done" -> {
          assertThat(e.data().getString("finish_reason")).isEqualTo("stop");
          return text.toString();
        }
        case "error" -> throw new AssertionError("stream failed: " + e.data().encode());
        default -> { }
      }
    }
    throw new AssertionError("the stream ended without done or error");
  }

  private static int workerOfTheStream() throws Exception {
    String[] endpoint = new String[1];
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      var streams = cluster.status().getJsonArray("streams");
      endpoint[0] = streams.size() == 1 ? streams.getJsonObject(0).getString("worker") : null;
      return endpoint[0] != null;
    });
    for (int i = 0; i < cluster.workers.size(); i++) {
      if (cluster.workers.get(i).endpoint().equals(endpoint[0])) {
        return i;
      }
    }
    throw new AssertionError("no worker " + endpoint[0]);
  }

  @Test
  void badGrammarsAndSchemasAre400sNamingTheField() throws Exception {
    JsonObject user = new JsonObject().put("role", "user").put("content", "hi");
    Object[][] cases = {
        {"/v1/generate", new JsonObject().put("prompt", "x").put("grammar", "root ::= \"open").put("stream", false), "grammar"},
        {"/v1/chat/completions", new JsonObject().put("messages", new JsonArray().add(user)).put("grammar", "root ::= nope"),
            "grammar"},
        {"/v1/completions", new JsonObject().put("prompt", "x").put("grammar", "nothing here"), "grammar"},
        {"/v1/generate", new JsonObject().put("prompt", "x").put("json_schema", new JsonObject().put("type", "string")
            .put("pattern", "(a)\\1")), "json_schema"},
        {"/v1/chat/completions", new JsonObject().put("messages", new JsonArray().add(user)).put("response_format",
            new JsonObject().put("type", "json_schema").put("json_schema", new JsonObject().put("name", "n")
                .put("schema", new JsonObject().put("type", "object").put("patternProperties", new JsonObject())))),
            "response_format"},
        {"/v1/completions", new JsonObject().put("prompt", "x").put("response_format", new JsonObject().put("type", "yaml")),
            "response_format.type"},
        {"/v1/generate", new JsonObject().put("prompt", "x").put("grammar", "root ::= \"a\"")
            .put("json_schema", new JsonObject()), "grammar"},
    };
    for (Object[] c : cases) {
      HttpResponse<String> r = cluster.post((String) c[0], ((JsonObject) c[1]).encode());
      assertThat(r.statusCode()).as("%s %s", c[0], r.body()).isEqualTo(400);
      JsonObject error = new JsonObject(r.body()).getJsonObject("error");
      assertThat(error.getString("param")).as(r.body()).isEqualTo(c[2]);
    }
    HttpResponse<String> named = cluster.post("/v1/chat/completions", ((JsonObject) cases[4][1]).encode());
    assertThat(named.body()).contains("patternProperties");
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.status().getJsonArray("streams").isEmpty());
  }
}
