package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The raw clients' response reader: a chunked SSE response read from pieces cut anywhere gives the
 * same events, each timed by the piece that completed its line.
 */
class HttpResponseReaderTest {

  /** Three tokens and the last chunk, as llama-server's {@code /completion} streams them (chunked, an event per chunk). */
  static final String LLAMA_SERVER_RESPONSE = "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\n"
      + "Content-Type: text/event-stream\r\nServer: llama.cpp\r\nTransfer-Encoding: chunked\r\n\r\n"
      + chunk("data: {\"index\":0,\"content\":\" Once\",\"tokens\":[1],\"stop\":false,\"tokens_predicted\":1}\n\n")
      + chunk("data: {\"index\":0,\"content\":\" upon\",\"tokens\":[2],\"stop\":false,\"tokens_predicted\":2}\n\n")
      + chunk("data: {\"index\":0,\"content\":\" a\",\"tokens\":[3],\"stop\":false,\"tokens_predicted\":3}\n\n")
      + chunk("data: {\"index\":0,\"content\":\"\",\"tokens\":[],\"stop\":true,\"tokens_predicted\":3}\n\n")
      + "0\r\n\r\n";

  static String chunk(String data) {
    return Integer.toHexString(data.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + data + "\r\n";
  }

  private static final byte[] RESPONSE = LLAMA_SERVER_RESPONSE.getBytes(StandardCharsets.UTF_8);

  /** The offset of the LF that ends the first token's {@code data:} line. */
  private static final int FIRST_TOKEN_END = LLAMA_SERVER_RESPONSE.indexOf("\n", LLAMA_SERVER_RESPONSE.indexOf("data:"));

  @Test
  void aResponseCutInTwoAnywhereGivesTheSameStreamTimedByThePieceThatEndedTheLine() {
    for (int cut = 1; cut < RESPONSE.length; cut++) {
      SseReader sse = new SseReader(SseLoad.Dialect.LLAMA_SERVER, 0);
      HttpResponseReader r = new HttpResponseReader(sse);
      r.accept(RESPONSE, 0, cut, 10);
      assertThat(r.complete()).as("cut at %d", cut).isFalse();
      r.accept(RESPONSE, cut, RESPONSE.length - cut, 20);
      assertThat(r.complete()).as("cut at %d", cut).isTrue();
      SseLoad.Stream s = r.stream(sse, 0, 0);
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.completionTokens()).isEqualTo(3);
      assertThat(s.arrivalNanos()).as("cut at %d", cut).hasSize(3);
      assertThat(s.arrivalNanos()[0]).as("cut at %d", cut).isEqualTo(cut > FIRST_TOKEN_END ? 10 : 20);
      assertThat(s.firstByteNanos()).isEqualTo(10);
    }
  }

  @Test
  void aResponseFedByteByByteTimesEachTokenByTheByteThatEndedItsLine() {
    SseReader sse = new SseReader(SseLoad.Dialect.LLAMA_SERVER, 0);
    HttpResponseReader r = new HttpResponseReader(sse);
    for (int i = 0; i < RESPONSE.length; i++) {
      r.accept(RESPONSE, i, 1, i);
    }
    assertThat(r.complete()).isTrue();
    int second = LLAMA_SERVER_RESPONSE.indexOf("\n", LLAMA_SERVER_RESPONSE.indexOf("data:", FIRST_TOKEN_END));
    assertThat(r.stream(sse, 0, 0).arrivalNanos()).startsWith(FIRST_TOKEN_END, second);
  }

  @Test
  void chunkExtensionsAndTrailersAreSkipped() {
    String response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
        + "e;name=value\r\nevent: token\r\n\r\n" + chunk("data: {}\n\n") + "0\r\nX-Trailer: 1\r\n\r\n";
    SseReader sse = new SseReader(SseLoad.Dialect.TOKENBUS, 0);
    HttpResponseReader r = new HttpResponseReader(sse);
    byte[] bytes = response.getBytes(StandardCharsets.UTF_8);
    r.accept(bytes, 0, bytes.length, 5);
    assertThat(r.complete()).isTrue();
    assertThat(sse.tokens()).isEqualTo(1);
  }

  @Test
  void aBodyOfAContentLengthEndsWithItsLastByte() {
    String content = "event: token\ndata: {\"t\":\"a\"}\n\n";
    String response = "HTTP/1.1 200 OK\r\nContent-Length: " + content.length() + "\r\n\r\n" + content;
    SseReader sse = new SseReader(SseLoad.Dialect.TOKENBUS, 0);
    HttpResponseReader r = new HttpResponseReader(sse);
    byte[] bytes = response.getBytes(StandardCharsets.UTF_8);
    r.accept(bytes, 0, bytes.length - 1, 1);
    assertThat(r.complete()).isFalse();
    r.accept(bytes, bytes.length - 1, 1, 2);
    assertThat(r.complete()).isTrue();
    assertThat(r.stream(sse, 0, 0).arrivalNanos()).containsExactly(1);
  }

  @Test
  void a429GivesItsRetryAfterAndAnyOtherStatusFailsWithItsBody() {
    byte[] busy = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 2\r\ncontent-length: 4\r\n\r\nbusy"
        .getBytes(StandardCharsets.UTF_8);
    SseReader sse = new SseReader(SseLoad.Dialect.TOKENBUS, 0);
    HttpResponseReader r = new HttpResponseReader(sse);
    r.accept(busy, 0, busy.length, 1);
    SseLoad.Stream s = r.stream(sse, 0, 0);
    assertThat(s.rejected()).isTrue();
    assertThat(s.retryAfterSeconds()).isEqualTo(2);

    byte[] failed = "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 9\r\n\r\nno engine".getBytes(StandardCharsets.UTF_8);
    HttpResponseReader f = new HttpResponseReader(sse);
    f.accept(failed, 0, failed.length, 1);
    assertThatThrownBy(() -> f.stream(sse, 0, 0)).hasMessage("HTTP 500: no engine");
  }

  @Test
  void bytesThatAreNoHttpResponseAreRefused() {
    byte[] junk = "SSH-2.0-OpenSSH\r\n".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> new HttpResponseReader(new SseReader(SseLoad.Dialect.TOKENBUS, 0))
        .accept(junk, 0, junk.length, 1)).isInstanceOf(IllegalStateException.class);
  }
}
