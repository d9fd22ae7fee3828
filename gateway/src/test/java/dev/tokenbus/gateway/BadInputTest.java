package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way a {@code POST /v1/generate} body can be wrong gets the documented status and the
 * OpenAI error envelope naming the offending field, and none of it disturbs the worker.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("engine")
@Tag("cluster")
class BadInputTest {

  private static final String INVALID = "invalid_request_error";
  private static final List<String> INT_FIELDS = List.of("max_tokens", "top_k", "repeat_last_n", "seed",
      "stream_delay_ms", "buffer_size", "timeout_ms", "top_logprobs");
  private static final List<String> NUMBER_FIELDS = List.of("temperature", "top_p", "min_p", "repeat_penalty",
      "frequency_penalty", "presence_penalty");

  private static TestCluster cluster;

  /** One bad body and what the gateway must answer. {@code param} null means the error names none. */
  record Case(String name, byte[] body, int status, String param, String code) {
    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4)
        .withContextPerSequence(1024));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Case json(String name, String body, String code) {
    return new Case(name, utf8(body), 400, null, code);
  }

  private static Case malformed(String name, String body) {
    return json(name, body, "invalid_json");
  }

  /** A well-formed body whose {@code field} is wrong: 400 naming the field. */
  private static Case field(String name, String field, String rawValue) {
    return new Case(name, utf8("{\"prompt\":\"hello\",\"" + field + "\":" + rawValue + "}"), 400, field,
        "invalid_value");
  }

  static Stream<Case> badBodies() {
    List<Case> c = new ArrayList<>();

    // Not JSON at all, or JSON that breaks off or carries junk. (Comments are left out: Vert.x's
    // parser accepts them, a leniency rather than a hazard.)
    c.add(malformed("empty body", ""));
    c.add(malformed("whitespace only", "  \n\t "));
    c.add(malformed("lone brace", "{"));
    c.add(malformed("unterminated object", "{\"prompt\":\"x\""));
    c.add(malformed("unterminated string", "{\"prompt\":\"x}"));
    c.add(malformed("missing value", "{\"prompt\":}"));
    c.add(malformed("trailing comma", "{\"prompt\":\"x\",}"));
    c.add(malformed("single quotes", "{'prompt':'x'}"));
    c.add(malformed("unquoted key", "{prompt:\"x\"}"));
    c.add(malformed("trailing garbage", "{\"prompt\":\"x\"} tail"));
    c.add(malformed("two objects", "{\"prompt\":\"x\"}{\"prompt\":\"y\"}"));
    c.add(malformed("extra closing brace", "{\"prompt\":\"x\"}}"));
    c.add(malformed("bad escape", "{\"prompt\":\"\\x41\"}"));
    c.add(malformed("raw control character in a string", "{\"prompt\":\"a\u0001b\"}"));
    c.add(malformed("NaN literal", "{\"prompt\":\"x\",\"temperature\":NaN}"));
    c.add(malformed("leading zero", "{\"prompt\":\"x\",\"max_tokens\":012}"));
    c.add(malformed("plus sign", "{\"prompt\":\"x\",\"max_tokens\":+5}"));
    c.add(malformed("hex number", "{\"prompt\":\"x\",\"max_tokens\":0x10}"));
    c.add(malformed("bare word", "prompt"));
    c.add(malformed("form encoding", "prompt=hello&max_tokens=3"));
    c.add(new Case("invalid UTF-8", concat(utf8("{\"prompt\":\"a"), new byte[] {(byte) 0xC3, 0x28},
        utf8("\"}")), 400, null, "invalid_json"));
    c.add(new Case("lone continuation byte", concat(utf8("{\"prompt\":\""), new byte[] {(byte) 0x80},
        utf8("\"}")), 400, null, "invalid_json"));
    // Valid JSON, but past the nesting limit: a 400 naming the field it is in.
    c.add(field("nesting past the limit", "deep", "[".repeat(5000) + "]".repeat(5000)));

    // JSON, but not an object.
    c.add(malformed("array", "[]"));
    c.add(malformed("array holding a good object", "[{\"prompt\":\"x\"}]"));
    c.add(malformed("string", "\"hello\""));
    c.add(malformed("number", "42"));
    c.add(malformed("null", "null"));
    c.add(malformed("boolean", "true"));

    // The prompt.
    c.add(new Case("no fields", utf8("{}"), 400, "prompt", "invalid_value"));
    c.add(new Case("no prompt", utf8("{\"max_tokens\":5}"), 400, "prompt", "invalid_value"));
    c.add(new Case("null prompt", utf8("{\"prompt\":null}"), 400, "prompt", "invalid_value"));
    c.add(new Case("empty prompt", utf8("{\"prompt\":\"\"}"), 400, "prompt", "invalid_value"));
    for (String v : List.of("42", "true", "[\"a\"]", "{\"text\":\"a\"}")) {
      c.add(new Case("prompt " + v, utf8("{\"prompt\":" + v + "}"), 400, "prompt", "invalid_value"));
    }
    // Byte-level vocabulary: about one token per character, far past 1024 tokens of context.
    c.add(new Case("prompt longer than the context", utf8(new JsonObject().put("prompt", "ab ".repeat(1000))
        .encode()), 400, "prompt", "context_length_exceeded"));

    // Every numeric field with a value of the wrong JSON type.
    for (String f : concat(INT_FIELDS, NUMBER_FIELDS)) {
      for (String v : List.of("\"5\"", "true", "{}", "[1]")) {
        c.add(field(f + " " + v, f, v));
      }
    }
    // Integer fields with a fraction, or beyond any integer the field could hold.
    for (String f : INT_FIELDS) {
      c.add(field(f + " 1.5", f, "1.5"));
      c.add(field(f + " 2^63", f, "9223372036854775808"));
      c.add(field(f + " 1e400", f, "1e400"));
    }
    for (String f : NUMBER_FIELDS) {
      c.add(field(f + " 1e400", f, "1e400"));
      c.add(field(f + " -1e400", f, "-1e400"));
    }

    // Out of range.
    c.add(field("max_tokens -1", "max_tokens", "-1"));
    c.add(field("max_tokens 0", "max_tokens", "0"));
    c.add(field("max_tokens -0", "max_tokens", "-0"));
    c.add(field("max_tokens 1000001", "max_tokens", "1000001"));
    c.add(field("max_tokens 2^31", "max_tokens", "2147483648"));
    c.add(field("temperature -1", "temperature", "-1"));
    c.add(field("temperature 6", "temperature", "6"));
    c.add(field("top_p 0", "top_p", "0"));
    c.add(field("top_p 1.5", "top_p", "1.5"));
    c.add(field("top_p -0.5", "top_p", "-0.5"));
    c.add(field("min_p 2", "min_p", "2"));
    c.add(field("min_p -0.1", "min_p", "-0.1"));
    c.add(field("top_k -1", "top_k", "-1"));
    c.add(field("repeat_penalty 0", "repeat_penalty", "0"));
    c.add(field("repeat_penalty 11", "repeat_penalty", "11"));
    c.add(field("repeat_last_n -2", "repeat_last_n", "-2"));
    c.add(field("frequency_penalty 3", "frequency_penalty", "3"));
    c.add(field("presence_penalty -2.5", "presence_penalty", "-2.5"));
    // Any 64-bit seed is taken (-1 is random, the rest folds into 32 bits); beyond 64 bits is not.
    c.add(field("seed 2^63", "seed", "9223372036854775808"));
    c.add(field("seed -2^63-1", "seed", "-9223372036854775809"));
    c.add(field("buffer_size 0", "buffer_size", "0"));
    c.add(field("buffer_size 5000", "buffer_size", "5000"));
    c.add(field("timeout_ms negative", "timeout_ms", "-1"));
    c.add(field("timeout_ms over a day", "timeout_ms", "86400001"));
    c.add(field("top_logprobs 21", "top_logprobs", "21"));
    c.add(field("top_logprobs -1", "top_logprobs", "-1"));
    c.add(field("stream_delay_ms -1", "stream_delay_ms", "-1"));
    c.add(field("stream_delay_ms 60001", "stream_delay_ms", "60001"));

    // stop.
    c.add(field("stop number", "stop", "5"));
    c.add(field("stop object", "stop", "{\"a\":\"b\"}"));
    c.add(field("stop with a number", "stop", "[\"a\",1]"));
    c.add(field("stop with null", "stop", "[\"a\",null]"));
    c.add(field("stop with an array", "stop", "[[\"a\"]]"));
    c.add(field("17 stop sequences", "stop", new JsonArray(stops(17)).encode()));
    c.add(field("empty stop string", "stop", "\"\""));
    c.add(field("empty stop in an array", "stop", "[\"a\",\"\"]"));
    c.add(field("stop over 256 characters", "stop", "\"" + "s".repeat(257) + "\""));

    // stream and model.
    c.add(field("stream string", "stream", "\"true\""));
    c.add(field("stream number", "stream", "1"));
    c.add(field("stream object", "stream", "{}"));
    c.add(field("model number", "model", "7"));
    c.add(field("model array", "model", "[\"tiny\"]"));

    // Over the 1 MiB body limit.
    c.add(new Case("body over 1 MiB", utf8(new JsonObject().put("prompt", "x".repeat(1024 * 1024)).encode()), 413,
        null, "request_too_large"));
    return c.stream();
  }

  @Order(1)
  @ParameterizedTest(name = "{0}")
  @MethodSource("badBodies")
  void badBodyGetsTheErrorEnvelope(Case c) throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(cluster.uri("/v1/generate"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(c.body())).header("Content-Type", "application/json"));
    JsonObject error = envelope(r, c.status());
    assertThat(error.getString("type")).isEqualTo(INVALID);
    assertThat(error.getValue("param")).as("param").isEqualTo(c.param());
    assertThat(error.getString("code")).as("code").isEqualTo(c.code());
  }

  @Order(2)
  @Test
  void aLongRunOfOneCharacterIsRefusedAsTooLongNotAsNoWorker() throws Exception {
    // Well under the body limit, but tokenizing one character repeated takes llama.cpp time quadratic
    // in its length: the refusal must not depend on how long the worker takes to count the tokens.
    String body = new JsonObject().put("prompt", "a".repeat(300_000)).put("max_tokens", 4).encode();
    HttpResponse<String> r = send(HttpRequest.newBuilder(cluster.uri("/v1/generate"))
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    JsonObject error = envelope(r, 400);
    assertThat(error.getString("param")).isEqualTo("prompt");
    assertThat(error.getString("code")).isEqualTo("context_length_exceeded");
  }

  @Order(3)
  @Test
  void unknownFieldsAndNullOptionalsAreIgnored() throws Exception {
    String body = "{\"prompt\":\"hello\",\"max_tokens\":3,\"frobnicate\":true,\"n\":5,\"extra\":{\"deep\":[1,{}]},"
        + "\"temperature\":null,\"stop\":null,\"seed\":null,\"model\":null,\"stream\":null}";
    List<Sse.Event> events = stream(body);
    assertThat(events.stream().filter(e -> "token".equals(e.event()))).hasSize(3);
    assertThat(events.getLast().event()).isEqualTo("done");
  }

  @Order(4)
  @Test
  void wrongMethodAndUnknownPathGetTheEnvelope() throws Exception {
    HttpResponse<String> get = send(HttpRequest.newBuilder(cluster.uri("/v1/generate")).GET());
    assertThat(get.statusCode()).isIn(404, 405);
    assertThat(envelope(get, get.statusCode()).getString("type")).isNotBlank();

    HttpResponse<String> missing = send(HttpRequest.newBuilder(cluster.uri("/v1/no-such-thing"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"x\"}")));
    assertThat(envelope(missing, 404).getString("type")).isEqualTo("not_found_error");

    // "/" is the chat page; any other page is unknown.
    HttpResponse<String> page = send(HttpRequest.newBuilder(cluster.uri("/no-such-page")).GET());
    assertThat(envelope(page, 404).getString("type")).isEqualTo("not_found_error");
  }

  @Order(5)
  @Test
  void theWorkerStillServesAndEverySlotIsFree() throws Exception {
    List<Sse.Event> events = stream("{\"prompt\":\"still alive\",\"max_tokens\":20,\"temperature\":0}");
    List<Sse.Event> tokens = events.stream().filter(e -> "token".equals(e.event())).toList();
    assertThat(tokens).hasSize(20);
    assertThat(events.getLast().event()).isEqualTo("done");
    assertThat(events.getLast().data().getString("finish_reason")).isEqualTo("length");
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.engines.getFirst().stats().active() == 0);
  }

  /** Checks status, content type and shape; returns the inner error object. */
  private static JsonObject envelope(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as("status; body %s", r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v)
        .startsWith("application/json"));
    JsonObject body = new JsonObject(r.body());
    assertThat(body.fieldNames()).containsExactly("error");
    JsonObject error = body.getJsonObject("error");
    assertThat(error.fieldNames()).containsExactlyInAnyOrder("message", "type", "param", "code");
    assertThat(error.getString("message")).isNotBlank();
    return error;
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return cluster.http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static List<Sse.Event> stream(String body) throws Exception {
    HttpResponse<InputStream> r = cluster.http.send(HttpRequest.newBuilder(cluster.uri("/v1/generate"))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (var in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      assertThat(r.statusCode()).isEqualTo(200);
      return new Sse(in).all();
    }
  }

  private static List<String> stops(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("s" + i);
    }
    return out;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
