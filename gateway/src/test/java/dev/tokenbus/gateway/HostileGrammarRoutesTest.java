package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The grammars that killed (3,000 and 100,000 nested groups), froze ({@code "a"{3,2}}) or
 * silently failed ({@code "\x00"}, which no token holds) a node are answered 400 within 5 s on
 * every route that takes {@code grammar}, naming it, with no stack trace logged; the node then
 * answers a greedy request as before, and the deepest grammar accepted is followed.
 */
@Tag("engine")
@Tag("cluster")
class HostileGrammarRoutesTest {

  private static final Duration PROMPTLY = Duration.ofSeconds(5);

  static String nested(int depth) {
    return "root ::= " + "(".repeat(depth) + "\"a\"" + ")".repeat(depth);
  }

  private static JsonObject body(String route, String grammar) {
    JsonObject b = new JsonObject().put("max_tokens", 4).put("temperature", 0).put("stream", false);
    if (route.equals("/v1/chat/completions")) {
      b.put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
    } else {
      b.put("prompt", "hi");
    }
    return grammar == null ? b : b.put("grammar", grammar);
  }

  private static HttpResponse<String> post(HttpClient http, int port, String route, JsonObject body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + route)).timeout(PROMPTLY)
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).header("Content-Type", "application/json").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void grammarsThatCrashedFrozeOrFailedANodeAreA400OnEveryRoute() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    root.addAppender(log);
    Map<String, String> grammars = new LinkedHashMap<>();
    grammars.put("3,000 nested groups", nested(3000));
    grammars.put("100,000 nested groups", nested(100_000));
    grammars.put("a maximum below the minimum", "root ::= \"a\"{3,2}");
    grammars.put("a character no token holds", "root ::= \"\\x00\"");
    grammars.put("a left recursion behind a rule empty through another",
        "root ::= a root \"x\" | \"y\"\na ::= b\nb ::= \"\" | \"z\"\n");
    grammars.put("a token the vocabulary does not have", "root ::= \"a\" <? >");
    grammars.put("optional rules nested 16 deep", HostileGrammarSuiteTest.optionalsNested(16, "?"));
    try (TestCluster c = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(256), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
        HttpClient http = HttpClient.newHttpClient()) {
      int port = c.gateway.port();
      for (String route : List.of("/v1/generate", "/v1/completions", "/v1/chat/completions")) {
        String before = post(http, port, route, body(route, null)).body();
        for (Map.Entry<String, String> g : grammars.entrySet()) {
          long t0 = System.nanoTime();
          HttpResponse<String> r = post(http, port, route, body(route, g.getValue()));
          String what = route + " with " + g.getKey() + ": " + r.body();
          assertThat(Duration.ofNanos(System.nanoTime() - t0)).as(what).isLessThan(PROMPTLY);
          assertThat(r.statusCode()).as(what).isEqualTo(400);
          JsonObject error = new JsonObject(r.body()).getJsonObject("error");
          assertThat(error.getString("type")).as(what).isEqualTo("invalid_request_error");
          assertThat(error.getString("param")).as(what).isEqualTo("grammar");
          assertThat(error.getString("message")).as(what).startsWith("grammar ");
        }
        c.awaitIdle(PROMPTLY);
        HttpResponse<String> after = post(http, port, route, body(route, null));
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(text(after.body())).as("%s: greedy text afterwards", route).isEqualTo(text(before));
      }
      HttpResponse<String> deepest = post(http, port, "/v1/generate", body("/v1/generate", nested(dev.tokenbus.grammar.GbnfCheck.MAX_NESTING)));
      assertThat(deepest.statusCode()).as(deepest.body()).isEqualTo(200);
      assertThat(new JsonObject(deepest.body()).getString("text")).isEqualTo("a");
    } finally {
      root.detachAppender(log);
    }
    List<String> traces = log.list.stream()
        .filter(e -> e.getThrowableProxy() != null || e.getLevel().isGreaterOrEqual(Level.ERROR))
        .filter(e -> !e.getLoggerName().startsWith("com.hazelcast"))
        .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
    assertThat(traces).as("errors or stack traces logged").isEmpty();
  }

  /** The generated text of a /v1/generate, /v1/completions or /v1/chat/completions answer. */
  private static String text(String body) {
    JsonObject o = new JsonObject(body);
    if (o.containsKey("text")) {
      return o.getString("text");
    }
    JsonObject choice = o.getJsonArray("choices").getJsonObject(0);
    return choice.containsKey("message") ? choice.getJsonObject("message").getString("content") : choice.getString("text");
  }
}
