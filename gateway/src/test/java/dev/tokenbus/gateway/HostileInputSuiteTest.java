package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawExchange;
import dev.tokenbus.testing.RawWebSocket;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The project's hostile-input suite: thousands of inputs, every one of them wrong, at five levels
 * (HTTP framing, JSON, request parameters (embeddings' among them), WebSocket frames, JSON Schemas and patterns on every
 * route that reads one: {@link HostileSchemas}). Each must be refused with a 4xx and
 * the documented error object (on a WebSocket: an error frame with that object, or a close with
 * the RFC 6455 code for what was wrong) within 5 s; nothing may log a stack trace; afterwards
 * {@code /v1/status} is clean and a greedy generation gives the same text as before. Seeded
 * ({@code -Dtokenbus.hostile.seed=N}); loopback only.
 */
@Tag("engine")
@Tag("cluster")
class HostileInputSuiteTest {

  private static final long SEED = Long.getLong("tokenbus.hostile.seed", 9_000_009L);
  private static final int PER_LEVEL = 550;
  private static final int TIMEOUT_MS = 5000;
  private static final String GREEDY = "{\"prompt\":\"the storm\",\"max_tokens\":16,\"temperature\":0,\"stream\":false}";

  private enum Level4 { FRAMING, JSON, PARAMETERS, WEBSOCKET, SCHEMA }

  @Test
  void everyHostileInputIsRefusedCleanly() throws Exception {
    try (HostileStorm.Log log = new HostileStorm.Log();
        TestCluster c = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4)
        .withContextPerSequence(512), GatewayOptions.defaults().withBodyLimitBytes(64 * 1024),
        WorkerOptions.defaults("tiny"))) {
      int port = c.gateway.port();
      String before = new JsonObject(c.post("/v1/generate", GREEDY).body()).getString("text");

      HostileStorm.Result r = HostileStorm.run("hostile inputs", SEED, Level4.values(), PER_LEVEL, (level, i) -> {
        Random rng = new Random(SEED * 31 + level.ordinal() * 100_003L + i);
        // Schemas go to every route that reads one; one in four over the WebSocket.
        boolean ws = level == Level4.WEBSOCKET || level == Level4.SCHEMA && i % 4 == 0;
        return ws ? webSocket(port, rng, level) : http(port, level, rng);
      });
      assertThat(r.attempts()).isEqualTo(Level4.values().length * PER_LEVEL);
      assertThat(r.problems()).as("inputs not refused cleanly").isEmpty();

      c.awaitIdle(Duration.ofSeconds(5));
      String after = new JsonObject(c.post("/v1/generate", GREEDY).body()).getString("text");
      assertThat(after).as("greedy text after the storm").isEqualTo(before);
      assertThat(log.errorsOrTraces()).as("errors or stack traces logged").isEmpty();
    }
  }

  // ---- HTTP: framing, JSON, parameters ----

  private static HostileStorm.Outcome http(int port, Level4 level, Random rng) {
    byte[] request = switch (level) {
      case FRAMING -> framing(rng);
      case SCHEMA -> {
        HostileSchemas.Request r = HostileSchemas.request(rng);
        yield post(rng, r.route(), "application/json", r.body());
      }
      case JSON -> post(rng, route(rng), "application/json", badJson(rng));
      default -> {
        String route = route(rng);
        String body = EMBEDDINGS.equals(route) ? badEmbeddingParameters(rng)
            : RESPONSES.equals(route) && rng.nextBoolean() ? badResponsesInput(rng)
            : badParameters(rng, route);
        yield post(rng, route, "application/json", body.getBytes(StandardCharsets.UTF_8));
      }
    };
    String shown = preview(request);
    long t0 = System.nanoTime();
    try {
      RawExchange r = RawExchange.send(port, request, TIMEOUT_MS);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      String problem = r.status() < 400 || r.status() > 499 ? "status " + r.status() + " " + r.body()
          : r.error() == null ? "no error object: " + r.body()
          : ms > TIMEOUT_MS ? "answered after " + ms + " ms"
          // After a framing error nothing more on the connection is read (no smuggled request is answered).
          : "malformed_request".equals(r.error().getString("code")) && !r.closedAfter() ? "left open"
          : smuggles(request) && !"malformed_request".equals(r.error().getString("code"))
              ? "a body read as the next request: " + r.body() : null;
      return new HostileStorm.Outcome(level, shown, Integer.toString(r.status()), problem);
    } catch (Exception e) {
      return new HostileStorm.Outcome(level, shown, "failed", e.toString());
    }
  }

  private static final String EMBEDDINGS = "/v1/embeddings";
  private static final String RESPONSES = "/v1/responses";
  private static final String[] ROUTES = {"/v1/generate", "/v1/completions", "/v1/chat/completions", "/v1/tokenize",
      EMBEDDINGS, RESPONSES};

  private static String route(Random rng) {
    return ROUTES[rng.nextInt(ROUTES.length)];
  }

  private static byte[] post(Random rng, String path, String type, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: " + type
        + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(body);
    return out.toByteArray();
  }

  /** A request every gateway must answer, sent as the body of one whose framing hides it. */
  private static final String SMUGGLED = "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n";

  /** Whether {@code request} carries {@link #SMUGGLED} as its body, to be refused as malformed. */
  private static boolean smuggles(byte[] request) {
    return new String(request, StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n" + SMUGGLED);
  }

  private static byte[] framing(Random rng) {
    String body = "{\"prompt\":\"hi\",\"max_tokens\":2,\"stream\":false}";
    String head = "POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    String s = switch (rng.nextInt(17)) {
      case 0 -> head + "Transfer-Encoding: chunked\r\n\r\n" + pick(rng, "zz", "-5", "0x10", "1 2", "g", "+3",
          "123456789abcdef012", "ffffffffffffffffff", "", " ") + "\r\n" + body + "\r\n0\r\n\r\n";
      case 1 -> head + "Content-Length: " + pick(rng, "abc", "-1", "1e3", "0x20", "99999999999999999999", "4 2",
          "+5", "") + "\r\n\r\n" + body;
      case 2 -> head + "Content-Length: " + body.length() + "\r\nContent-Length: " + (body.length() + 1
          + rng.nextInt(9)) + "\r\n\r\n" + body;
      case 3 -> head + "Content-Length: " + body.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
      case 4 -> "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9000 + rng.nextInt(60_000)) + "\r\n\r\n";
      case 5 -> "GET /" + "p".repeat(5000 + rng.nextInt(20_000)) + " HTTP/1.1\r\nHost: x\r\n\r\n";
      case 6 -> "GET /health " + pick(rng, "HTTP/2.0", "HTTP/3.0", "HTTP/1.2", "HTTP/0.9", "HTTP/9.9", "FOO/1.1",
          "HTTP/1.1.1", "http/1.1x") + "\r\nHost: x\r\n\r\n";
      // (An obs-fold continuation line is not here: RFC 9112 lets a server replace it with a space.)
      case 7 -> "GET /health HTTP/1.1\r\nHost: x\r\n" + pick(rng, "No colon here", ": empty name",
          "Bad\u0001Name: v", "Sp ace: v", "Host: y") + "\r\n\r\n";
      case 8 -> pick(rng, "GET", "POST", "DELETE", "PUT", "PATCH") + " " + pick(rng, "/v1/nope", "/v1/generate/x",
          "/v1/ws", "/v1/models/absent", "/etc/passwd", "/v1/streams/absent") + " HTTP/1.1\r\nHost: x\r\n"
          + "Content-Length: 0\r\n\r\n";
      case 9 -> {
        String wrong = pick(rng, "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhi\r\n--b--\r\n",
            "prompt=hello&max_tokens=32", "<prompt>hello</prompt>");
        yield "POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: " + pick(rng, "multipart/form-data; boundary=b",
            "application/x-www-form-urlencoded", "text/plain", "application/xml") + "\r\nContent-Length: "
            + wrong.length() + "\r\n\r\n" + wrong;
      }
      case 10 -> head + "Content-Length: " + (100_000 + rng.nextInt(100_000)) + "\r\n\r\n" + body;
      // A coding other than chunked, whose body (a second request) must never be read as one.
      case 11 -> (rng.nextInt(5) == 0 ? head.replace("HTTP/1.1", "HTTP/1.0") : head) + "Transfer-Encoding: "
          + pick(rng, "gzip", "identity", "deflate", "chunked;q=1", "xchunked", "gzip, chunked", "chunked, chunked",
              "chunked, gzip", "compress", "", "chunked\r\nTransfer-Encoding: chunked", "chunked\u00ff")
          + "\r\n\r\n" + SMUGGLED;
      case 12 -> head + "Transfer-Encoding: chunked\r\n\r\n" + pick(rng, "\u00ff", "3\u0080", "\u0080", "1\u00ff2",
          "\u00e9", "a\u00a0", "\u00ff\u00ff\u00ff\u00ff") + "\r\n" + body + "\r\n0\r\n\r\n";
      // Upgrade headers that make no WebSocket.
      case 13 -> pick(rng, "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
          "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
          "POST /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n",
          "GET /v1/streams/nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
          head + "Upgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 2\r\n\r\n{}");
      case 14 -> head + "Expect: " + pick(rng, "fancy", "100-continue, fancy", "200-ok", "", "continue")
          + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
      case 15 -> pick(rng, "GET", "DELETE") + " /v1/streams/" + pick(rng, "%00", "%0d%0a", "%7f",
          "a%0d%0aSet-Cookie:%20x=1", "%20", "%c3%a9", "a;b", "x".repeat(129), "%ff") + " HTTP/1.1\r\nHost: x\r\n\r\n";
      default -> "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + pick(rng, "Sec-WebSocket-Version: 13\r\n", "Sec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 99\r\n",
              "Sec-WebSocket-Key: \r\n") + "\r\n";
    };
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] badJson(Random rng) {
    String valid = "{\"prompt\":\"hi\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}";
    return switch (rng.nextInt(12)) {
      case 0 -> valid.substring(0, 1 + rng.nextInt(valid.length() - 2)).getBytes(StandardCharsets.UTF_8);
      case 1 -> (valid + pick(rng, "x", "}", ",", "{}", " 1", "]")).getBytes(StandardCharsets.UTF_8);
      case 2 -> valid.replace("2}", pick(rng, "NaN}", "Infinity}", "-Infinity}", "0x10}", "01}", "1.}", ".5}", "+1}"))
          .getBytes(StandardCharsets.UTF_8);
      case 3 -> ("{\"prompt\":" + "[".repeat(1001 + rng.nextInt(5000)) + "1").getBytes(StandardCharsets.UTF_8);
      case 4 -> ("{\"prompt\":\"hi\",\"max_tokens\":2,\"" + pick(rng, "prompt", "max_tokens")
          + "\":" + pick(rng, "\"again\"", "3") + "}").getBytes(StandardCharsets.UTF_8);
      case 5 -> {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("{\"prompt\":\"a".getBytes(StandardCharsets.UTF_8));
        byte[][] bad = {{(byte) 0xC3, 0x28}, {(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE2, (byte) 0x82}};
        b.writeBytes(bad[rng.nextInt(bad.length)]);
        b.writeBytes("b\",\"max_tokens\":2}".getBytes(StandardCharsets.UTF_8));
        yield b.toByteArray();
      }
      case 6 -> ("{\"prompt\":\"a" + pick(rng, "\\ud800", "\\udfff", "\\ud800\\ud800", "\\udc00\\ud800", "\\uDBFF")
          + "b\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\\ud800\"}]}")
          .getBytes(StandardCharsets.UTF_8);
      case 7 -> pick(rng, "{'prompt':'hi'}", "{prompt:\"hi\"}", "{\"prompt\":\"hi\" /* c */}", "// c\n{}",
          "{\"prompt\":\"a\u0001b\"}", "{\"prompt\":\"tab\there\"}", "\"just a string\"", "[1,2,3]", "42", "null", "true",
          "", " ", "{", "}", "{\"prompt\"}", "{\"prompt\":}", "{,}", "{\"a\":1,,\"b\":2}")
          .getBytes(StandardCharsets.UTF_8);
      case 8 -> ("{\"prompt\":\"hi\",\"max_tokens\":" + pick(rng, "1e400", "-1e400", "1" + "0".repeat(400),
          "123456789012345678901234567890", "9223372036854775808", "1.5", "-0.5", "2147483648") + "}")
          .getBytes(StandardCharsets.UTF_8);
      case 9 -> ("{\"prompt\":\"\\" + pick(rng, "x", "u12", "uZZZZ", "U0041", "'") + "\"}").getBytes(StandardCharsets.UTF_8);
      case 10 -> ("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"messages\":[]}").getBytes(StandardCharsets.UTF_8);
      default -> {
        byte[] b = valid.getBytes(StandardCharsets.UTF_8);
        b[rng.nextInt(b.length)] = (byte) pick(rng, "{", "\"", ":", "\u0000", "\\").charAt(0);
        byte[] t = new byte[b.length + 1];
        System.arraycopy(b, 0, t, 0, b.length);
        t[b.length] = '"';
        yield t;
      }
    };
  }

  /** Valid JSON, wrong values: one field at a time, on a body that is otherwise right for {@code /v1/generate}. */
  private static String badParameters(Random rng, String route) {
    String[][] fields = {
        {"max_tokens", "-1", "\"ten\"", "1.5", "[]", "true", "1000000000", "-2147483648"},
        {"temperature", "-1", "\"hot\"", "[]", "1e300", "-0.1"},
        {"top_k", "-1", "1.5", "\"x\"", "{}"},
        {"top_p", "-0.5", "1.5", "\"x\"", "[0.5]"},
        {"min_p", "-1", "2", "\"x\""},
        {"stop", "5", "{}", "[1,2]", "[\"\"]", "[" + "\"s\",".repeat(40) + "\"s\"]", "[[]]"},
        {"stream", "\"yes\"", "1", "[]"},
        {"seed", "\"abc\"", "1.5", "[]", "9223372036854775808", "-9223372036854775809", "1e300",
            "18446744073709551616"},
        {"logit_bias", logitBiasBomb(rng), "{\"abc\":1}", "{\"-1\":1}", "{\"1.0\":1}", "{\" 1\":1}", "{\"007\":1}",
            "{\"\":1}", "{\"99999999999999999999\":1}", "{\"99999\":-100}", "{\"2147483647\":1}", "{\"1\":1e308}",
            "{\"1\":-1e308}", "{\"1\":100.0001}", "{\"1\":\"NaN\"}", "{\"1\":{\"2\":3}}", "{\"1\":[1]}",
            "{\"1\":false}", "{\"1\":null}", "[[1,-100]]", "\"1:-100\"", "1"},
        {"buffer_size", "0", "-5", "\"x\"", "1000000000"},
        {"timeout_ms", "-5", "\"x\"", "1e20", "86400001"}, // 0 is valid: no deadline
        {"top_logprobs", "-1", "1000", "\"x\""},
        {"stream_delay_ms", "-1", "\"x\"", "100000000"},
        {"repeat_last_n", "-2", "\"x\"", "1.5"},
        {"frequency_penalty", "\"x\"", "[]", "99"},
        {"presence_penalty", "\"x\"", "{}", "-99"},
        {"repeat_penalty", "\"x\"", "-1"},
        {"reasoning_budget", "-2", "\"x\"", "1000001", "1.5", "{}"},
        {"reasoning_format", "\"bogus\"", "7", "[]", "\"" + "x".repeat(5000) + "\""},
        {"model", "42", "[]", "\"no-such-model\"", "{}"},
        {"prompt", "\"\"", "42", "[]", "{}", "null", "[-1]", "[1,-2147483649]", "[99999]", "[1,2147483648]", "[1.5]",
            "[1,\"a\"]", "[[1],[2]]", "[[]]", "[\"a\",\"b\"]", "[[1,[2]]]", "[true]", tokenPromptBomb(rng)},
    };
    String[] f = fields[rng.nextInt(fields.length)];
    String value = f[1 + rng.nextInt(f.length - 1)];
    JsonObject base = "/v1/responses".equals(route)
        ? new JsonObject().put("input", "hi").put("max_output_tokens", 2).put("stream", false)
        : new JsonObject().put("prompt", "hi").put("max_tokens", 2).put("stream", false);
    if ("/v1/responses".equals(route) && "max_tokens".equals(f[0])) {
      f = new String[] {"max_output_tokens", "0", "-1", "\"ten\"", "1.5", "[]", "true"};
      value = f[1 + rng.nextInt(f.length - 1)];
    }
    base.remove(f[0]);
    String json = base.encode();
    return json.substring(0, json.length() - 1) + ",\"" + f[0] + "\":" + value + "}";
  }

  /** A Responses API body whose input, tools, format, metadata or conversation fields are wrong or too big. */
  private static String badResponsesInput(Random rng) {
    int depth = 200 + rng.nextInt(5000);
    String deep = "[".repeat(depth) + "]".repeat(depth);
    StringBuilder many = new StringBuilder("[");
    int n = 1025 + rng.nextInt(2000);
    for (int i = 0; i < n; i++) {
      many.append(i == 0 ? "" : ",").append("{\"role\":\"user\",\"content\":\"x\"}");
    }
    many.append(']');
    String[][] fields = {
        {"input", "\"\"", "42", "[]", "{}", "null", "[1]", "[[]]", "[{}]", "[{\"type\":\"input_image\"}]",
            "[{\"role\":\"tool\",\"content\":\"x\"}]", "[{\"role\":\"user\",\"content\":[]}]",
            "[{\"role\":\"user\",\"content\":[{\"type\":\"input_file\",\"file_id\":\"f\"}]}]",
            "[{\"type\":\"function_call\",\"call_id\":1}]", "[{\"type\":\"function_call_output\"}]",
            "[{\"role\":\"user\",\"content\":\"x\",\"id\":\"" + "i".repeat(200) + "\"}]",
            "[{\"type\":\"item_reference\",\"id\":\"msg_1\"}]", deep, many.toString()},
        {"instructions", "42", "[]", "{}"},
        {"tools", "{}", "[1]", "[{\"type\":\"web_search\"}]", "[{\"type\":\"function\"}]",
            "[{\"type\":\"function\",\"name\":\"bad name!\"}]"},
        {"tool_choice", "\"sometimes\"", "42", "{\"type\":\"file_search\"}", "{\"type\":\"function\"}"},
        {"text", "42", "\"json\"", "{\"format\":1}", "{\"format\":{\"type\":\"yaml\"}}",
            "{\"format\":{\"type\":\"json_schema\",\"schema\":7}}"},
        {"metadata", "[]", "\"x\"", "{\"k\":1}", "{\"" + "k".repeat(100) + "\":\"v\"}",
            "{\"k\":\"" + "v".repeat(600) + "\"}"},
        {"previous_response_id", "42", "\"\"", "\"resp_absent\"", "\"" + "r".repeat(10_000) + "\"", "[]"},
        {"truncation", "\"auto\"", "42"},
        {"background", "\"yes\"", "1", "[]"},
        {"store", "\"yes\"", "1"},
        {"reasoning", "42", "[]"},
        {"parallel_tool_calls", "\"no\"", "[]"},
    };
    String[] f = fields[rng.nextInt(fields.length)];
    String value = f[1 + rng.nextInt(f.length - 1)];
    JsonObject base = new JsonObject().put("input", "hi").put("max_output_tokens", 2);
    base.remove(f[0]);
    String json = base.encode();
    return json.substring(0, json.length() - 1) + ",\"" + f[0] + "\":" + value + "}";
  }

  /** An embeddings request with one field wrong: wrong types, nested junk, empty or too many inputs, too long ones. */
  private static String badEmbeddingParameters(Random rng) {
    String[][] fields = {
        {"input", "\"\"", "[]", "[\"\"]", "42", "{}", "null", "true", "[[]]", "[1.5]", "[-1]", "[1,\"a\"]",
            "[\"a\",1]", "[[1],\"a\"]", "[[1,[2]]]", "[[1],[]]", "[99999999]", "[2147483648]", "[\"a\",[1]]",
            "[[-1]]", "[{}]", "[null]", "[\"a\",null]", "[[1],{}]", "[true]", "\"" + "word ".repeat(3000) + "\"",
            "[\"a\"" + ",\"b\"".repeat(2048) + "]", "[[1]" + ",[2]".repeat(2048) + "]", tokenPromptBomb(rng),
            nested(2 + rng.nextInt(2000)),
            "[" + "1,".repeat(600 + rng.nextInt(3000)) + "1]"},
        {"encoding_format", "\"int8\"", "\"FLOAT\"", "1", "[]", "{}", "\"\"", "true"},
        {"dimensions", "0", "-1", "1.5", "\"x\"", "[]", "7", "99999999999", "1e300"},
        {"model", "42", "[]", "\"no-such-model\"", "{}"},
        {"user", "1", "[]", "{}", "true"},
    };
    String[] f = fields[rng.nextInt(fields.length)];
    String value = f[1 + rng.nextInt(f.length - 1)];
    JsonObject base = new JsonObject().put("input", "hi");
    base.remove(f[0]);
    String json = base.encode();
    return json.substring(0, json.length() - 1) + (base.isEmpty() ? "" : ",") + "\"" + f[0] + "\":" + value + "}";
  }

  /** A token id inside {@code depth} arrays. */
  private static String nested(int depth) {
    return "[".repeat(depth) + "1" + "]".repeat(depth);
  }

  /** A {@code logit_bias} past its bounds: more than 1024 entries, or a long key. */
  private static String logitBiasBomb(Random rng) {
    StringBuilder b = new StringBuilder("{");
    if (rng.nextBoolean()) {
      int n = 1025 + rng.nextInt(3000);
      for (int i = 0; i < n; i++) {
        b.append(i == 0 ? "" : ",").append('"').append(i).append("\":-100");
      }
    } else {
      b.append('"').append("9".repeat(20 + rng.nextInt(20_000))).append("\":1");
    }
    return b.append('}').toString();
  }

  /** A prompt of token ids, many of them, one of them out of the vocabulary or negative. */
  private static String tokenPromptBomb(Random rng) {
    StringBuilder b = new StringBuilder("[");
    int n = 100 + rng.nextInt(5000);
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",").append(rng.nextInt(100));
    }
    return b.append(',').append(pick(rng, "-1", "1000000", "2147483647", "-2147483648")).append(']').toString();
  }

  // ---- WebSocket frames ----

  private static HostileStorm.Outcome webSocket(int port, Random rng, Level4 level) {
    int kind = level == Level4.SCHEMA ? 20 : rng.nextInt(20);
    String shown = "ws kind " + kind;
    String extensions = kind == 17 ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "";
    try (RawWebSocket ws = RawWebSocket.connect(port, extensions, 0)) {
      ws.socket.setSoTimeout(TIMEOUT_MS);
      byte[] generate = "{\"type\":\"generate\",\"id\":\"a\",\"prompt\":\"hi\",\"max_tokens\":2}"
          .getBytes(StandardCharsets.UTF_8);
      switch (kind) {
        case 0 -> ws.sendText(new String(badJson(rng), StandardCharsets.UTF_8).replace("\u0000", " "));
        case 1 -> {
          String params = badParameters(rng, "/v1/generate");
          ws.sendText("{\"type\":\"generate\",\"id\":\"p\"," + params.substring(1));
        }
        case 2 -> ws.sendText(pick(rng, "{\"type\":\"generate\"}", "{\"type\":\"generate\",\"id\":5}",
            "{\"type\":\"generate\",\"id\":\"\"}", "{\"type\":\"launch\",\"id\":\"a\"}", "{\"id\":\"a\"}",
            "{\"type\":\"generate\",\"id\":\"" + "x".repeat(129 + rng.nextInt(5000)) + "\",\"prompt\":\"hi\"}"));
        case 3 -> ws.send(0x80, 2, generate); // binary
        case 4 -> ws.send(0x80 | (0x10 << rng.nextInt(3)), 1, generate); // a reserved bit
        case 5 -> ws.send(0x80, 1, new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', ':', '1', '}'}); // not UTF-8
        case 6 -> ws.send(0x80, 3 + rng.nextInt(5), generate); // a reserved data opcode
        case 7 -> ws.send(0x80, 0xB + rng.nextInt(5), new byte[0]); // a reserved control opcode
        case 8 -> ws.send(0x00, 9, new byte[] {1}); // a fragmented ping
        case 9 -> ws.send(0x80, 0, generate); // a continuation with nothing to continue
        case 10 -> ws.send(0x80, 9, new byte[126 + rng.nextInt(100)]); // a ping over 125 bytes
        case 11 -> ws.sendRaw(new byte[] {(byte) 0x81, 0x05, 'h', 'e', 'l', 'l', 'o'}); // not masked
        case 12 -> ws.sendText("{\"type\":\"generate\",\"id\":\"big\",\"prompt\":\"" + "x".repeat(70_000) + "\"}");
        case 13 -> ws.send(0x80, 8, new byte[] {0x03, (byte) (0xEC + rng.nextInt(3))}); // close 1004..1006: reserved
        case 14 -> { // an empty first fragment (and maybe more), then the (wrong) message
          ws.send(0x00, 1, new byte[0]);
          for (int n = rng.nextInt(3); n > 0; n--) {
            ws.send(0x00, 0, new byte[0]);
          }
          ws.send(0x80, 0, badFrame(rng));
        }
        case 15 -> fragmented(ws, rng, 1, badFrame(rng));
        case 16 -> { // a close code no peer may send
          int code = switch (rng.nextInt(5)) {
            case 0 -> rng.nextInt(1000);
            case 1 -> 1015;
            case 2 -> 1016 + rng.nextInt(1984);
            case 3 -> 5000 + rng.nextInt(60_536);
            default -> 1004 + rng.nextInt(3);
          };
          ws.send(0x80, 8, new byte[] {(byte) (code >> 8), (byte) code});
        }
        case 17 -> { // a compressed message that does not inflate (a deflate block of the reserved type 3)
          byte[] garbage = new byte[1 + rng.nextInt(64)];
          rng.nextBytes(garbage);
          garbage[0] |= 0x06;
          ws.send(0x80 | 0x40, 1, garbage);
        }
        case 18 -> fragmented(ws, rng, 2, generate); // binary, in fragments, some empty
        case 19 -> { // thousands of wrong frames at once, none of the answers read while they go
          byte[] flood = new byte[8 * (2000 + rng.nextInt(20_000))];
          for (int i = 0; i < flood.length; i += 8) {
            flood[i] = (byte) 0x81;
            flood[i + 1] = (byte) 0x82;
            flood[i + 6] = '{';
            flood[i + 7] = '}';
          }
          ws.sendRaw(flood);
        }
        default -> ws.sendText(HostileSchemas.frame(rng)); // a schema bomb in a generate frame
      }
      long t0 = System.nanoTime();
      RawWebSocket.Frame f = ws.next();
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      if (f == null) {
        return new HostileStorm.Outcome(level, shown, "dropped", "the connection ended without a close frame");
      }
      if (f.opcode() == 8) {
        int code = f.closeCode();
        boolean fits = code == 1002 || code == 1003 || code == 1007 || code == 1009;
        return new HostileStorm.Outcome(level, shown, "close " + code, fits ? null : "close code " + code);
      }
      if (f.opcode() == 1) {
        JsonObject frame = f.json();
        JsonObject error = frame.getJsonObject("error");
        boolean envelope = "error".equals(frame.getString("type")) && error != null && error.getString("message") != null
            && error.getString("type") != null && error.containsKey("param") && error.containsKey("code");
        return new HostileStorm.Outcome(level, shown, "error frame",
            !envelope ? "not an error frame: " + f.text() : ms > TIMEOUT_MS ? "after " + ms + " ms" : null);
      }
      return new HostileStorm.Outcome(level, shown, "opcode " + f.opcode(), "unexpected frame " + f.opcode());
    } catch (Exception e) {
      return new HostileStorm.Outcome(level, shown, "failed", e.toString());
    }
  }

  /** A text message that is valid UTF-8 and must be refused with an error frame. */
  private static byte[] badFrame(Random rng) {
    String frame = switch (rng.nextInt(3)) {
      case 0 -> new String(badJson(rng), StandardCharsets.UTF_8).replace("\u0000", " ");
      case 1 -> "{\"type\":\"generate\",\"id\":\"p\"," + badParameters(rng, "/v1/generate").substring(1);
      default -> pick(rng, "{}", "{\"type\":\"launch\",\"id\":\"a\"}", "{\"id\":\"a\"}", "");
    };
    return frame.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code message} as 2 to 5 fragments of the given opcode, cut at random, some of them empty. */
  private static void fragmented(RawWebSocket ws, Random rng, int opcode, byte[] message) throws java.io.IOException {
    int pieces = 2 + rng.nextInt(4);
    int from = 0;
    for (int i = 0; i < pieces; i++) {
      int to = i == pieces - 1 ? message.length
          : rng.nextInt(3) == 0 ? from : from + rng.nextInt(message.length - from + 1);
      ws.send(i == pieces - 1 ? 0x80 : 0x00, i == 0 ? opcode : 0, java.util.Arrays.copyOfRange(message, from, to));
      from = to;
    }
  }

  private static String pick(Random rng, String... options) {
    return options[rng.nextInt(options.length)];
  }

  private static String preview(byte[] request) {
    String s = new String(request, 0, Math.min(request.length, 200), StandardCharsets.ISO_8859_1);
    return s.replace("\r", "\\r").replace("\n", "\\n");
  }
}
