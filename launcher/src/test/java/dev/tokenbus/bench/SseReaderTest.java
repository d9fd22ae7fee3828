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

  @Test
  void aReaderThatNeedsNoDataCountsTheSameTokensAndHandsDataOnlyWhenAsked() {
    byte[] body = ("id: 0\nevent:  token \r\ndata: {\"text\":\"a\"}\n\n: a comment\nid: 1\nevent: token\ndata: not json\n\n"
        + "event: tokens\ndata: {}\n\nevent: done\ndata: {\"usage\":{\"completion_tokens\":2}}\n\n")
        .getBytes(StandardCharsets.UTF_8);
    int[] runs = {0};
    SseReader counting = new SseReader(SseLoad.Dialect.TOKENBUS, 0, () -> runs[0]++);
    java.util.List<String> data = new java.util.ArrayList<>();
    SseReader reading = new SseReader(SseLoad.Dialect.TOKENBUS, 0, data::add);
    for (int i = 0; i < body.length; i++) { // a byte at a time
      counting.accept(body, i, 1, i);
      reading.accept(body, i, 1, i);
    }
    assertThat(counting.tokens()).isEqualTo(2).isEqualTo(runs[0]);
    assertThat(counting.stream(0, -1).arrivalNanos()).containsExactly(reading.stream(0, -1).arrivalNanos());
    assertThat(counting.stream(0, -1).completionTokens()).isEqualTo(2);
    assertThat(data).containsExactly("{\"text\":\"a\"}", "not json");
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
