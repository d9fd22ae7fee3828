package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Recursive inputs on every route that reads a schema, a gateway and a tiny worker: a
 * {@code pattern} nested thousands of groups deep (which made the regex converter recurse once per
 * group: a 500 with a StackOverflowError's trace on HTTP, silence on the WebSocket, and after a few
 * such requests a JVM killed by SIGSEGV), and a body or field of 100,000 nested arrays. Each is a
 * 400 with the JSON error naming the field, at once, without a stack trace in the log; twenty in a
 * row leave the node serving greedy text as before.
 */
@Tag("engine")
@Tag("cluster")
class SchemaBombRoutesTest {

  private static final String GREEDY = "{\"prompt\":\"the storm\",\"max_tokens\":12,\"temperature\":0,\"stream\":false}";
  private static final long PROMPT_MS = 5000;
  private static TestCluster cluster;
  private ListAppender<ILoggingEvent> log;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(512), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @BeforeEach
  void watchTheLog() {
    log = new ListAppender<>();
    log.start();
    root().addAppender(log);
  }

  @AfterEach
  void noTraceWasLogged() {
    root().detachAppender(log);
    List<String> traces = log.list.stream()
        .filter(e -> e.getThrowableProxy() != null || e.getLevel().isGreaterOrEqual(Level.ERROR))
        .filter(e -> !e.getLoggerName().startsWith("com.hazelcast"))
        .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
    assertThat(traces).as("errors or stack traces logged").isEmpty();
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  /** A string schema whose pattern nests {@code depth} groups. */
  static JsonObject deepPattern(int depth) {
    return new JsonObject().put("type", "object").put("properties", new JsonObject().put("code", new JsonObject()
        .put("type", "string").put("pattern", "^" + "(".repeat(depth) + "a" + ")".repeat(depth) + "$")))
        .put("required", new JsonArray().add("code"));
  }

  /** A request for {@code route} that carries {@code schema} where that route reads one, and the field it names. */
  record Carrier(String route, String param, JsonObject body) {}

  static List<Carrier> carriers(JsonObject schema) {
    JsonArray messages = new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"));
    return List.of(
        new Carrier("/v1/generate", "json_schema", new JsonObject().put("prompt", "hi").put("max_tokens", 4)
            .put("json_schema", schema)),
        new Carrier("/v1/completions", "response_format", new JsonObject().put("prompt", "hi").put("max_tokens", 4)
            .put("response_format", new JsonObject().put("type", "json_object").put("schema", schema))),
        new Carrier("/v1/chat/completions", "response_format", new JsonObject().put("messages", messages)
            .put("max_tokens", 4).put("response_format", new JsonObject().put("type", "json_schema")
                .put("json_schema", new JsonObject().put("name", "x").put("schema", schema)))),
        new Carrier("/v1/chat/completions", "tools[0].function.parameters", new JsonObject().put("messages", messages)
            .put("max_tokens", 4).put("tool_choice", "required").put("tools", new JsonArray().add(new JsonObject()
                .put("type", "function").put("function", new JsonObject().put("name", "f").put("parameters", schema))))));
  }

  private static JsonObject refused(String route, String body, String param) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r = cluster.post(route, body);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(r.statusCode()).as("%s: %.300s", route, r.body()).isEqualTo(400);
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertThat(error.getString("type")).isEqualTo("invalid_request_error");
    assertThat(error.getString("param")).as(r.body()).isEqualTo(param);
    assertThat(ms).as("answered after %d ms", ms).isLessThan(PROMPT_MS);
    return error;
  }

  @Test
  void deeplyNestedPatternsAre400sOnEveryRoute() throws Exception {
    for (int depth : new int[] {1_000, 3_000, 5_000}) {
      for (Carrier c : carriers(deepPattern(depth))) {
        JsonObject error = refused(c.route(), c.body().encode(), c.param());
        assertThat(error.getString("message")).contains("#/properties/code/pattern")
            .containsAnyOf("groups nested deeper than 32 levels", "at most 4096 are supported");
      }
    }
  }

  @Test
  void aHundredThousandNestedArraysAre400sOnEveryRouteAndField() throws Exception {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    for (String route : List.of("/v1/generate", "/v1/completions", "/v1/chat/completions", "/v1/tokenize",
        "/v1/embeddings")) {
      JsonObject error = refused(route, deep, null);
      assertThat(error.getString("message")).contains("deeper than 256 levels");
      refused(route, "{\"prompt\":\"hi\",\"stop\":" + deep + "}", "stop");
    }
    for (Carrier c : carriers(new JsonObject())) {
      String field = c.param().startsWith("tools") ? "tools" : c.param();
      String body = c.body().encode().replace("{}", "{\"type\":\"object\",\"x-deep\":" + deep + "}");
      JsonObject error = refused(c.route(), body, field);
      assertThat(error.getString("message")).contains(field + " nests objects and arrays deeper than 256 levels");
    }
  }

  @Test
  void theWebSocketAnswersWithAnErrorFrameAndGoesOn() throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect(cluster.gateway.port())) {
      ws.socket.setSoTimeout((int) PROMPT_MS);
      for (int depth : new int[] {3_000, 5_000}) {
        ws.sendText(new JsonObject().put("type", "generate").put("id", "p" + depth).put("prompt", "hi")
            .put("max_tokens", 4).put("json_schema", deepPattern(depth)).encode());
        JsonObject frame = ws.next().json();
        assertThat(frame.getString("type")).as(frame.encode()).isEqualTo("error");
        assertThat(frame.getString("id")).isEqualTo("p" + depth);
        assertThat(frame.getJsonObject("error").getString("param")).isEqualTo("json_schema");
        assertThat(frame.getJsonObject("error").getString("message")).contains("#/properties/code/pattern");
      }
      ws.sendText("{\"type\":\"generate\",\"id\":\"d\",\"prompt\":\"hi\",\"json_schema\":" + "[".repeat(100_000)
          + "]".repeat(100_000) + "}");
      JsonObject frame = ws.next().json();
      assertThat(frame.getJsonObject("error").getString("param")).as(frame.encode()).isEqualTo("json_schema");
      assertThat(frame.getJsonObject("error").getString("message")).contains("deeper than 256 levels");
      // The socket still serves.
      ws.sendText("{\"type\":\"generate\",\"id\":\"ok\",\"prompt\":\"the storm\",\"max_tokens\":3,\"temperature\":0}");
      JsonObject last;
      do {
        last = ws.next().json();
      } while (!List.of("done", "error").contains(last.getString("type")));
      assertThat(last.getString("type")).as(last.encode()).isEqualTo("done");
    }
  }

  @Test
  void twentyBombsInARowLeaveTheNodeServing() throws Exception {
    String before = new JsonObject(cluster.post("/v1/generate", GREEDY).body()).getString("text");
    for (int i = 0; i < 20; i++) {
      Carrier c = carriers(deepPattern(3_000 + 100 * i)).get(i % 4);
      refused(c.route(), c.body().encode(), c.param());
    }
    cluster.awaitIdle(Duration.ofSeconds(5));
    String after = new JsonObject(cluster.post("/v1/generate", GREEDY).body()).getString("text");
    assertThat(after).isEqualTo(before);
  }
}
