package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The hostile-input suite on Anthropic's routes, {@code /v1/messages} and
 * {@code /v1/messages/count_tokens}: every known field with a wrong type, contradictory bounds
 * ({@code max_tokens} 0 or negative, a stop sequence list past its limit), unsupported blocks,
 * size and depth bombs (a deep content array, a body past the limit, more messages or tools than
 * allowed, a schema bomb) must each get a 4xx in Anthropic's error shape within 5 s, nothing may log
 * an error or a stack trace, and afterwards the worker is idle and a greedy message gives the same
 * text as before. A second key that knows a first key's message stream id can neither cancel nor
 * resume it, nor see it in {@code /v1/status}; the first key's stream goes on to the same end as
 * an undisturbed run.
 */
@Tag("engine")
@Tag("cluster")
class HostileMessagesTest {

  private static final String A = "sk-ant-tenant-a";
  private static final String B = "sk-ant-tenant-b";
  private static final int BODY_LIMIT = 64 * 1024;
  private static final Duration ANSWER_WITHIN = Duration.ofSeconds(5);

  private static JsonObject valid() {
    return new JsonObject().put("max_tokens", 4).put("temperature", 0)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
  }

  private static JsonArray user(Object content) {
    return new JsonArray().add(new JsonObject().put("role", "user").put("content", content));
  }

  private static JsonArray assistant(Object content) {
    return new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"))
        .add(new JsonObject().put("role", "assistant").put("content", content));
  }

  private static JsonObject tool(String name, Object schema) {
    return new JsonObject().put("name", name).put("input_schema", schema);
  }

  private static JsonArray manyTools(int n) {
    JsonArray tools = new JsonArray();
    for (int i = 0; i < n; i++) {
      tools.add(tool("t" + i, new JsonObject().put("type", "object")));
    }
    return tools;
  }

  private static JsonObject deepSchema(int depth) {
    JsonObject s = new JsonObject().put("type", "string");
    for (int i = 0; i < depth; i++) {
      s = new JsonObject().put("type", "object").put("properties", new JsonObject().put("p", s))
          .put("required", new JsonArray().add("p"));
    }
    return s;
  }

  /** Each field of a valid body set to something wrong, by what is wrong. */
  private static Map<String, Object[]> wrongFields() {
    JsonObject image = new JsonObject().put("type", "image").put("source", new JsonObject().put("type", "url")
        .put("url", "http://127.0.0.1/x.png"));
    JsonArray seventeen = new JsonArray();
    for (int i = 0; i < 17; i++) {
      seventeen.add("s" + i);
    }
    Map<String, Object[]> wrong = new LinkedHashMap<>();
    wrong.put("model", new Object[] {42, new JsonArray(), new JsonObject(), "no-such-model"});
    wrong.put("max_tokens", new Object[] {0, -1, -2147483648, 1_000_000_001, "ten", 1.5, new JsonArray(), true});
    wrong.put("temperature", new Object[] {-1, "hot", 1e300, new JsonArray()});
    wrong.put("top_p", new Object[] {2, -0.5, "x"});
    wrong.put("top_k", new Object[] {-1, 1.5, "x"});
    wrong.put("stop_sequences", new Object[] {"stop", new JsonArray().add(1), new JsonArray().add(""), seventeen,
        new JsonArray().add("x".repeat(300)), new JsonObject()});
    wrong.put("stream", new Object[] {"yes", 1});
    wrong.put("system", new Object[] {42, new JsonArray().add(image), new JsonArray().add(new JsonObject()
        .put("type", "text")), new JsonArray().add("text"), new JsonObject()});
    wrong.put("metadata", new Object[] {"x", new JsonObject().put("user_id", 5)});
    wrong.put("thinking", new Object[] {"on", new JsonObject().put("type", "enabled").put("budget_tokens", 0),
        new JsonObject().put("type", "maybe")});
    wrong.put("messages", new Object[] {null, "hi", new JsonObject(), new JsonArray(), new JsonArray().add(42),
        new JsonArray().add(new JsonObject().put("role", "system").put("content", "x")),
        new JsonArray().add(new JsonObject().put("role", "user")),
        new JsonArray().add(new JsonObject().put("role", 7).put("content", "x")),
        user(42), user(new JsonArray()), user(new JsonArray().add(image)),
        user(new JsonArray().add(new JsonObject().put("type", "document").put("source", new JsonObject()))),
        user(new JsonArray().add(new JsonObject().put("type", "video"))),
        user(new JsonArray().add(new JsonObject().put("text", "no type"))),
        user(new JsonArray().add(new JsonObject().put("type", "text").put("text", 5))),
        user(new JsonArray().add(new JsonObject().put("type", "tool_use").put("id", "x").put("name", "f")
            .put("input", new JsonObject()))),
        user(new JsonArray().add(new JsonObject().put("type", "tool_result").put("content", "r"))),
        user(new JsonArray().add(new JsonObject().put("type", "tool_result").put("tool_use_id", "t")
            .put("is_error", "yes"))),
        user(new JsonArray().add(new JsonObject().put("type", "tool_result").put("tool_use_id", "t")
            .put("content", new JsonArray().add(image)))),
        assistant(new JsonArray().add(new JsonObject().put("type", "tool_use").put("id", "x").put("name", "f")
            .put("input", "{}"))),
        assistant(new JsonArray().add(new JsonObject().put("type", "tool_use").put("name", "f")
            .put("input", new JsonObject()))),
        assistant(new JsonArray().add(new JsonObject().put("type", "tool_result").put("tool_use_id", "t"))),
        assistant(new JsonArray().add(image))});
    wrong.put("tools", new Object[] {new JsonObject(), new JsonArray().add(42),
        new JsonArray().add(tool("bad name!", new JsonObject())), new JsonArray().add(tool("a", 5)),
        new JsonArray().add(new JsonObject().put("name", "a")),
        new JsonArray().add(tool("a", new JsonObject())).add(tool("a", new JsonObject())),
        new JsonArray().add(new JsonObject().put("type", "bash_20250124").put("name", "bash")),
        new JsonArray().add(tool("a", new JsonObject()).put("description", 3)), manyTools(129),
        new JsonArray().add(tool("deep", deepSchema(400)))});
    wrong.put("tool_choice", new Object[] {"auto", new JsonObject().put("type", "bogus"),
        new JsonObject().put("type", "tool"), new JsonObject().put("type", "tool").put("name", "absent"),
        new JsonObject().put("type", "any"), new JsonObject().put("type", "auto").put("disable_parallel_tool_use", "yes")});
    return wrong;
  }

  /** Bodies that are wrong as a whole: bombs, and fields that contradict each other. */
  private static Map<String, String> wrongBodies() {
    Map<String, String> bodies = new LinkedHashMap<>();
    String v = valid().encode();
    bodies.put("a content array 5000 deep", v.substring(0, v.length() - 1) + ",\"system\":"
        + "[".repeat(5000) + "]".repeat(5000) + "}");
    bodies.put("a body past the limit", valid().put("system", "x".repeat(BODY_LIMIT + 10)).encode());
    JsonArray many = new JsonArray();
    for (int i = 0; i < 1025; i++) {
      many.add(new JsonObject().put("role", i % 2 == 0 ? "user" : "assistant").put("content", "a"));
    }
    bodies.put("1025 messages", valid().put("messages", many).encode());
    // A grammar may shape an answer free to call a tool, as on the chat route, not one that must call.
    bodies.put("a required tool with a grammar", valid().put("tools", new JsonArray().add(tool("a", new JsonObject())))
        .put("tool_choice", new JsonObject().put("type", "any")).put("grammar", "root ::= \"a\"").encode());
    bodies.put("tools with a json_schema", valid().put("tools", new JsonArray().add(tool("a", new JsonObject())))
        .put("json_schema", new JsonObject().put("type", "object")).encode());
    bodies.put("a duplicate key", "{\"max_tokens\":4,\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}");
    bodies.put("not JSON", "{\"messages\":[");
    bodies.put("not an object", "[1,2]");
    bodies.put("a lone surrogate", "{\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"a\\ud800\"}]}");
    return bodies;
  }

  @Test
  void everyHostileMessageIsRefusedInAnthropicsShapeAndAnotherKeyReachesNoStream() throws Exception {
    try (HostileStorm.Log log = new HostileStorm.Log();
        TestCluster c = TestCluster.start(1, EngineConfig.forModel(TestModels.tinyChat()).withThreads(1).withSlots(4)
            .withContextPerSequence(1024), GatewayOptions.defaults().withApiKeys(Set.of(A, B))
            .withBodyLimitBytes(BODY_LIMIT).withSmallBuffers(4096), WorkerOptions.defaults("tiny-chat"))) {
      String before = text(post(c, "/v1/messages", valid().put("max_tokens", 16).encode(), A));

      List<String> problems = new ArrayList<>();
      int tried = 0;
      for (String path : List.of("/v1/messages", "/v1/messages/count_tokens")) {
        boolean count = path.endsWith("count_tokens");
        for (Map.Entry<String, Object[]> field : wrongFields().entrySet()) {
          if (count && field.getKey().equals("max_tokens")) {
            continue; // count_tokens reads the conversation only
          }
          for (Object value : field.getValue()) {
            JsonObject body = valid().put(field.getKey(), value);
            if (value == null) {
              body.remove(field.getKey());
            }
            tried++;
            check(c, path, body.encode(), field.getKey() + "=" + shorten(String.valueOf(value)), problems);
          }
        }
        for (Map.Entry<String, String> body : wrongBodies().entrySet()) {
          tried++;
          check(c, path, body.getValue(), body.getKey(), problems);
        }
      }
      JsonObject noLimit = valid();
      noLimit.remove("max_tokens");
      check(c, "/v1/messages", noLimit.encode(), "no max_tokens", problems);
      assertThat(tried).isGreaterThan(150);
      assertThat(problems).as("inputs not refused cleanly").isEmpty();

      secondKeyReachesNone(c, before);

      c.awaitIdle(Duration.ofSeconds(10));
      assertThat(text(post(c, "/v1/messages", valid().put("max_tokens", 16).encode(), A)))
          .as("greedy text after the storm").isEqualTo(before);
      assertThat(log.errorsOrTraces()).as("errors or stack traces logged").isEmpty();
    }
  }

  /** One refusal: a 4xx in Anthropic's shape, in time. */
  private static void check(TestCluster c, String path, String body, String what, List<String> problems) {
    long t0 = System.nanoTime();
    try {
      HttpResponse<String> r = post(c, path, body, A);
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      String problem = r.statusCode() < 400 || r.statusCode() > 499 ? "status " + r.statusCode() + " " + shorten(r.body())
          : !anthropicError(r.body()) ? "not Anthropic's error shape: " + shorten(r.body())
          : took.compareTo(ANSWER_WITHIN) > 0 ? "answered after " + took.toMillis() + " ms" : null;
      if (problem != null) {
        problems.add(path + " " + what + ": " + problem);
      }
    } catch (Exception e) {
      problems.add(path + " " + what + ": " + e);
    }
  }

  private static boolean anthropicError(String body) {
    try {
      JsonObject o = new JsonObject(body);
      JsonObject e = o.getJsonObject("error");
      return o.size() == 2 && "error".equals(o.getString("type")) && e != null && e.size() == 2
          && e.getString("type") != null && e.getString("message") != null && !e.getString("message").isBlank();
    } catch (RuntimeException notJson) {
      return false;
    }
  }

  private static HttpResponse<String> post(TestCluster c, String path, String body, String key) throws Exception {
    return c.http.send(HttpRequest.newBuilder(c.uri(path)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").header("x-api-key", key)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String text(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonArray("content").getJsonObject(0).getString("text");
  }

  private static String shorten(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }

  /**
   * Key A streams a long message (small buffers hold it open while A does not read); key B, which
   * knows its id, can neither cancel nor resume it, nor see it; A then reads it to the same end as
   * an undisturbed run.
   */
  private static void secondKeyReachesNone(TestCluster c, String before) throws Exception {
    String long_ = valid().put("max_tokens", 240).put("buffer_size", 4).put("stream", true).encode();
    String reference = streamedText(RawHttp.post(c.gateway.port(), "/v1/messages", long_, 0, Map.of("x-api-key", A)));
    try (RawHttp a = RawHttp.post(c.gateway.port(), "/v1/messages", long_, 2048, Map.of("x-api-key", A))) {
      assertThat(a.status).isEqualTo(200);
      String id = a.headers.get("x-tokenbus-stream-id");
      assertThat(id).isNotBlank();
      Sse events = a.sse();
      assertThat(events.next().event()).isEqualTo("message_start");
      assertThat(streamIds(c, A)).contains(id);

      for (String method : List.of("DELETE", "GET")) {
        HttpResponse<String> r = c.http.send(HttpRequest.newBuilder(URI.create(c.uri("/v1/streams/" + id).toString()))
            .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + B)
            .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + r.body()).isEqualTo(404);
      }
      assertThat(streamIds(c, B)).isEmpty();
      assertThat(streamIds(c, A)).as("still open after B's tries").contains(id);

      StringBuilder text = new StringBuilder();
      String stopReason = null;
      for (Sse.Event e = events.next(); e != null; e = events.next()) {
        if (e.event().equals("content_block_delta")) {
          text.append(e.data().getJsonObject("delta").getString("text"));
        } else if (e.event().equals("message_delta")) {
          stopReason = e.data().getJsonObject("delta").getString("stop_reason");
        }
      }
      assertThat(stopReason).isEqualTo("max_tokens");
      assertThat(text.toString()).isEqualTo(reference).startsWith(before);
    }
  }

  private static String streamedText(RawHttp r) throws Exception {
    try (r) {
      StringBuilder text = new StringBuilder();
      Sse events = r.sse();
      for (Sse.Event e = events.next(); e != null; e = events.next()) {
        if (e.event().equals("content_block_delta")) {
          text.append(e.data().getJsonObject("delta").getString("text"));
        }
      }
      return text.toString();
    }
  }

  private static List<String> streamIds(TestCluster c, String key) throws Exception {
    HttpResponse<String> r = c.http.send(HttpRequest.newBuilder(c.uri("/v1/status")).timeout(Duration.ofSeconds(10))
        .header("x-api-key", key).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonArray("streams").stream().map(s -> ((JsonObject) s).getString("id")).toList();
  }
}
