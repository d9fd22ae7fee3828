package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every client style against one loopback server that writes a chunked SSE response in pieces cut
 * at awkward places (inside a chunk size, a CRLF, a {@code data:} line): each sends the same request
 * and reads the same tokens.
 */
class ClientStylesTest {

  private static final String BODY = "{\"prompt\":\"Once upon a time\",\"n_predict\":3,\"stream\":true}";

  /** The response cut after "HTTP/1.1 2", inside the first chunk's size line, inside its data line, and inside a CRLF. */
  private static List<byte[]> pieces() {
    String r = HttpResponseReaderTest.LLAMA_SERVER_RESPONSE;
    int head = r.indexOf("\r\n\r\n") + 4;
    return CannedSseServer.cut(r, 10, head + 1, r.indexOf("content", head), r.indexOf("\r\n", r.indexOf("upon")) + 1);
  }

  @Test
  void everyJavaStyleReadsTheSameStreamAndSendsTheSameRequest() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (CannedSseServer server = new CannedSseServer(pieces())) {
      for (ClientStyle style : List.of(ClientStyle.RAW, ClientStyle.RAW_SPLIT, ClientStyle.VERTX, ClientStyle.JDK)) {
        try (FirstTokenClient client = style.open(server.port(), SseLoad.Dialect.LLAMA_SERVER, vertx)) {
          assertReadsTheCannedStream(style, client.stream(BODY));
        }
        String request = server.requests.getLast();
        assertThat(request).as(style.label()).startsWith("POST /completion HTTP/1.1\r\n").endsWith("\r\n\r\n" + BODY);
        assertThat(request.toLowerCase(java.util.Locale.ROOT)).as(style.label())
            .contains("content-length: " + BODY.length() + "\r\n");
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void curlReadsTheSameStreamFromItsTrace() throws Exception {
    Assumptions.assumeTrue(CurlClient.unavailable() == null, "curl is not installed");
    try (CannedSseServer server = new CannedSseServer(pieces());
        FirstTokenClient client = ClientStyle.CURL.open(server.port(), SseLoad.Dialect.LLAMA_SERVER, null)) {
      assertReadsTheCannedStream(ClientStyle.CURL, client.stream(BODY));
      assertThat(server.requests.getLast()).startsWith("POST /completion HTTP/1.1\r\n").endsWith("\r\n\r\n" + BODY);
    }
  }

  private static void assertReadsTheCannedStream(ClientStyle style, SseLoad.Stream s) {
    assertThat(s.status()).as(style.label()).isEqualTo(200);
    assertThat(s.arrivalNanos()).as(style.label()).hasSize(3);
    assertThat(s.completionTokens()).as(style.label()).isEqualTo(3);
    assertThat(s.firstByteNanos()).as(style.label()).isPositive();
  }

  @Test
  void theOneWriteStyleHandsTheWholeRequestToTheSocketOnceWithNoDelay() {
    RawSocketClient raw = new RawSocketClient(8080, SseLoad.Dialect.TOKENBUS, false);
    List<byte[]> writes = raw.writes(BODY);
    assertThat(writes).hasSize(1);
    assertThat(new String(writes.getFirst(), StandardCharsets.UTF_8)).isEqualTo("POST /v1/generate HTTP/1.1\r\n"
        + "Host: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: " + BODY.length() + "\r\n\r\n"
        + BODY);
    assertThat(raw.noDelay()).isTrue();
  }

  @Test
  void theSplitStyleHandsTheHeadThenTheBodyToTheSocketWithNagleOn() {
    RawSocketClient split = new RawSocketClient(8080, SseLoad.Dialect.TOKENBUS, true);
    List<byte[]> writes = split.writes(BODY);
    assertThat(writes).hasSize(2);
    assertThat(new String(writes.get(0), StandardCharsets.UTF_8)).startsWith("POST /v1/generate HTTP/1.1\r\n")
        .endsWith("\r\n\r\n");
    assertThat(new String(writes.get(1), StandardCharsets.UTF_8)).isEqualTo(BODY);
    assertThat(new String(writes.get(0), StandardCharsets.UTF_8) + BODY)
        .isEqualTo(new String(new RawSocketClient(8080, SseLoad.Dialect.TOKENBUS, false).writes(BODY).getFirst(),
            StandardCharsets.UTF_8));
    assertThat(split.noDelay()).isFalse();
  }

  @Test
  void stylesAreNamedByTheirLabels() {
    for (ClientStyle s : ClientStyle.values()) {
      assertThat(ClientStyle.parse(s.label())).isEqualTo(s);
    }
    assertThat(ClientStyle.parse(" Raw-Split")).isEqualTo(ClientStyle.RAW_SPLIT);
  }
}
