package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The one SSE reader every Java client style feeds: lines and characters cut across pieces, CRLF or LF. */
class SseReaderTest {

  @Test
  void eventsCutInsideALineACrlfAndACharacterAreReadWhole() {
    byte[] body = ("event: token\r\ndata: {\"text\":\"é\"}\r\n\r\nevent: token\ndata: {\"text\":\"b\"}\n\n"
        + "event: done\ndata: {\"usage\":{\"completion_tokens\":2}}\n\n").getBytes(StandardCharsets.UTF_8);
    int accent = indexOf(body, (byte) 0xC3);
    SseReader sse = new SseReader(SseLoad.Dialect.TOKENBUS, 100);
    sse.accept(body, 0, 13, 101); // "event: token\r"
    sse.accept(body, 13, accent + 1 - 13, 102); // to the middle of é
    sse.accept(body, accent + 1, 20, 103); // the rest of the first event
    sse.accept(body, accent + 21, body.length - accent - 21, 104);
    SseLoad.Stream s = sse.stream(100, 1);
    assertThat(s.arrivalNanos()).containsExactly(3, 4);
    assertThat(s.completionTokens()).isEqualTo(2);
    assertThat(s.firstByteNanos()).isEqualTo(1);
  }

  @Test
  void anErrorEventFailsTheStream() {
    byte[] body = "event: error\ndata: {\"message\":\"x\"}\n\n".getBytes(StandardCharsets.UTF_8);
    SseReader sse = new SseReader(SseLoad.Dialect.TOKENBUS, 0);
    assertThatThrownBy(() -> sse.accept(body, 0, body.length, 1)).hasMessageContaining("stream failed");
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    throw new AssertionError();
  }
}
