package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawExchange;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * HTTP framing the server must refuse: malformed chunk sizes (also with bytes outside ASCII),
 * conflicting or bad lengths, a transfer coding other than chunked, an unsupported expectation,
 * oversized header sections and request lines, an HTTP version it does not speak on a cleartext
 * socket, lone surrogates in JSON, stream ids no stream can have. Every refusal is a 4xx with the
 * documented JSON error object, and nothing is logged above DEBUG.
 */
@Tag("engine")
@Tag("cluster")
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

  /** Runs {@code requests}, then the events at INFO or above that the gateway's HTTP stack logged meanwhile. */
  private static List<String> loggedWhile(ThrowingRunnable requests) throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    root.addAppender(log);
    try {
      requests.run();
    } finally {
      root.detachAppender(log);
    }
    return log.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO) || e.getThrowableProxy() != null)
        .filter(e -> e.getLoggerName().startsWith("io.") || e.getLoggerName().startsWith("dev.tokenbus.gateway"))
        .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void chunkSizesWithBytesOutsideAsciiAre400AndLogNothing() throws Exception {
    String body = "{\"prompt\":\"hi\",\"max_tokens\":2,\"stream\":false}";
    List<String> logged = loggedWhile(() -> {
      for (String size : List.of("\u00ff", "3\u0080", "\u0080", "1\u00ff2", "\u00e9f")) {
        RawExchange r = send(chunked(size + "\r\n", body + "\r\n0\r\n\r\n"));
        assertThat(r.status()).as("chunk size %s", size).isEqualTo(400);
        assertThat(r.error()).as(r.body()).isNotNull();
        assertThat(r.error().getString("code")).isEqualTo("malformed_request");
        assertThat(r.closedAfter()).as("the connection closes").isTrue();
      }
    });
    assertThat(logged).as("logged above DEBUG").isEmpty();
  }

  @Test
  void aTransferCodingOtherThanChunkedIs400AndTheBodyIsNeverReadAsARequest() throws Exception {
    String smuggled = "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n";
    for (String coding : List.of("gzip", "identity", "deflate", "chunked;q=1", "xchunked", "gzip, chunked",
        "chunked, chunked", "chunked, gzip", "compress", "chunked\r\nTransfer-Encoding: chunked", "")) {
      RawExchange r = send("POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: " + coding + "\r\n\r\n" + smuggled);
      assertThat(r.status()).as(coding).isEqualTo(400);
      assertThat(r.error()).as(coding + " -> " + r.body()).isNotNull();
      assertThat(r.error().getString("code")).isEqualTo("malformed_request");
      // Closed right after the refusal: no answer to the smuggled request follows it.
      assertThat(r.closedAfter()).as("%s: the connection closes after the refusal alone", coding).isTrue();
    }
    RawExchange old = send("POST /v1/generate HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n" + smuggled);
    assertThat(old.status()).isEqualTo(400);
    assertThat(old.error()).as(old.body()).isNotNull();
    // chunked, in any case, is the one coding the gateway reads.
    String body = "{\"prompt\":\"hi\",\"max_tokens\":2,\"stream\":false}";
    RawExchange ok = send("POST /v1/generate HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + "Content-Type: application/json\r\nTransfer-Encoding: Chunked \r\n\r\n"
        + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
  }

  @Test
  void anUnsupportedExpectationIs417WithTheErrorObject() throws Exception {
    for (String expect : List.of("fancy", "100-continue, fancy", "200-ok")) {
      RawExchange r = send("POST /v1/generate HTTP/1.1\r\nHost: x\r\nExpect: " + expect
          + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
      assertThat(r.status()).as(expect).isEqualTo(417);
      assertThat(r.error()).as(expect + " -> " + r.body()).isNotNull();
      assertThat(r.error().getString("code")).isEqualTo("expectation_failed");
      assertThat(r.closedAfter()).isTrue();
    }
  }

  @Test
  void aStreamIdNoStreamCanHaveIs404AndIsNeverCopiedIntoAHeader() throws Exception {
    List<String> logged = loggedWhile(() -> {
      for (String id : List.of("%00", "%0d%0a", "%7f", "a%0d%0aSet-Cookie:%20x=1", "%20", "%c3%a9", "a;b")) {
        for (String method : List.of("GET", "DELETE")) {
          RawExchange r = send(method + " /v1/streams/" + id + " HTTP/1.1\r\nHost: x\r\n\r\n");
          assertThat(r.status()).as("%s %s", method, id).isEqualTo(404);
          assertThat(r.error()).as(r.body()).isNotNull();
          assertThat(r.error().getString("code")).as("%s %s: %s", method, id, r.body()).isEqualTo("stream_not_found");
          assertThat(r.headers()).doesNotContainKey("set-cookie");
        }
      }
      RawExchange header = send("POST /v1/generate HTTP/1.1\r\nHost: x\r\nX-Tokenbus-Stream-Id: a b;c\r\n"
          + "Content-Length: 0\r\n\r\n");
      assertThat(header.status()).isEqualTo(404);
      assertThat(header.error()).as(header.body()).isNotNull();
    });
    assertThat(logged).as("logged above DEBUG").isEmpty();
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
