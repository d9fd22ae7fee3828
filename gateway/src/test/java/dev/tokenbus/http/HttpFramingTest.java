package dev.tokenbus.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP framing the server must refuse: malformed chunk sizes, conflicting or bad lengths, oversized
 * header sections and request lines, an HTTP version it does not speak on a cleartext socket, lone
 * surrogates in JSON. Every refusal is a 4xx or 5xx with the documented JSON error object.
 */
class HttpFramingTest {

  private static TestCluster cluster;

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

  private static RawExchange send(String request) throws Exception {
    return RawExchange.send(cluster.gateway.port(), request, 5000);
  }

  private static String chunked(String sizeLine, String rest) {
    return "POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + sizeLine + rest;
  }

  @Test
  void malformedChunkSizesAre400WithTheErrorObject() throws Exception {
    String body = "{\"prompt\":\"hi\",\"max_tokens\":2,\"stream\":false}";
    for (String size : List.of("zz\r\n", "-5\r\n", "123456789abcdef012\r\n")) {
      RawExchange r = send(chunked(size, body + "\r\n0\r\n\r\n"));
      assertThat(r.status()).as("chunk size %s", size.strip()).isEqualTo(400);
      assertThat(r.error()).as(r.body()).isNotNull();
    }
    // A chunk not followed by its CRLF.
    RawExchange r = send(chunked(Integer.toHexString(body.length()) + "\r\n", body + "XX0\r\n\r\n"));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).as(r.body()).isNotNull();
  }

  @Test
  void badLengthsAre400WithTheErrorObject() throws Exception {
    for (String headers : List.of("Content-Length: abc\r\n", "Content-Length: -1\r\n",
        "Content-Length: 5\r\nContent-Length: 6\r\n", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")) {
      RawExchange r = send("POST /v1/generate HTTP/1.1\r\nHost: x\r\n" + headers + "\r\nhello");
      assertThat(r.status()).as(headers).isEqualTo(400);
      assertThat(r.error()).as(headers + " -> " + r.body()).isNotNull();
      assertThat(r.closedAfter()).as("the connection closes").isTrue();
    }
  }

  @Test
  void oversizedHeadersAndPathsGet431And414WithTheErrorObject() throws Exception {
    RawExchange headers = send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64 * 1024) + "\r\n\r\n");
    assertThat(headers.status()).isEqualTo(431);
    assertThat(headers.error()).as(headers.body()).isNotNull();
    RawExchange path = send("GET /" + "p".repeat(16 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(path.status()).isEqualTo(414);
    assertThat(path.error()).as(path.body()).isNotNull();
  }

  @Test
  void anUnsupportedHttpVersionGetsTheErrorObject() throws Exception {
    for (String version : List.of("HTTP/2.0", "HTTP/3.0", "HTTP/1.2", "FOO/1.1")) {
      RawExchange r = send("GET /health " + version + "\r\nHost: x\r\n\r\n");
      assertThat(r.status()).as(version).isEqualTo(400);
      assertThat(r.error()).as(version + " -> " + r.status() + " " + r.headers() + " " + r.body()).isNotNull();
    }
  }

  @Test
  void loneSurrogatesAre400NamingTheField() throws Exception {
    JsonObject generate = new JsonObject(cluster.post("/v1/generate",
        "{\"prompt\":\"a\\ud800b\",\"max_tokens\":2}").body());
    assertThat(generate.getJsonObject("error").getString("param")).isEqualTo("prompt");
    var chat = cluster.post("/v1/chat/completions",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":\"x\\udc00\"}]}");
    assertThat(chat.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(chat.body()).getJsonObject("error").getString("param"))
        .isEqualTo("messages[1].content");
    // A well-formed pair is text.
    var pair = cluster.post("/v1/generate", "{\"prompt\":\"\\ud83d\\ude00\",\"max_tokens\":1,\"stream\":false}");
    assertThat(pair.statusCode()).as(pair.body()).isEqualTo(200);
  }
}
