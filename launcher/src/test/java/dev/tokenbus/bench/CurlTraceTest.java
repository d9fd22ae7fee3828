package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The curl style's trace reader on a trace curl 7.88.1 printed ({@code --trace - --trace-time} and the
 * {@code -w} line) for a chunked stream of two tokens and a last event from a loopback server.
 */
class CurlTraceTest {

  private static String recorded() throws Exception {
    try (InputStream in = CurlTraceTest.class.getResourceAsStream("curl-trace.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void theTokensAreTimedFromCurlsConnectToTheBlockThatHeldThemOnCurlsClock() throws Exception {
    CurlTrace trace = CurlTrace.parse(recorded());
    // 19:02:52.390223 == Info:   Trying ...
    assertThat(trace.connectNanos()).isEqualTo(((19 * 60 + 2) * 60 + 52) * 1_000_000_000L + 390_223_000L);
    // The head (4 blocks, a line each) and one block of data: the chunks of both tokens and of the last event.
    assertThat(trace.received()).hasSize(5);
    assertThat(new String(trace.received().getFirst().bytes(), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200 OK\r\n");
    SseLoad.Stream s = trace.stream(SseLoad.Dialect.LLAMA_SERVER, 42);
    assertThat(s.sentNanos()).isEqualTo(42);
    // 19:02:52.399308 <= Recv data: 9,085 µs after the connect.
    assertThat(s.arrivalNanos()).containsExactly(9_085_000, 9_085_000);
    assertThat(s.completionTokens()).isEqualTo(2);
    // time_starttransfer 0.009062
    assertThat(s.firstByteNanos()).isEqualTo(9_062_000);
  }

  @Test
  void aTraceWithoutTheWriteOutLineIsRefused() throws Exception {
    String cut = recorded().replaceAll("(?m)^time_starttransfer.*$", "");
    assertThatThrownBy(() -> CurlTrace.parse(cut)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTracePastMidnightKeepsCounting() {
    String trace = "23:59:59.999900 == Info:   Trying 127.0.0.1:1...\n"
        + "00:00:00.000100 <= Recv header, 17 bytes (0x11)\n"
        + "0000: 48 54 54 50 2f 31 2e 31 20 32 30 30 20 4f 4b 0d HTTP/1.1 200 OK.\n"
        + "0010: 0a                                              .\n"
        + "\ntime_starttransfer 0.000200\n";
    CurlTrace t = CurlTrace.parse(trace);
    assertThat(t.received().getFirst().nanos() - t.connectNanos()).isEqualTo(200_000);
  }
}
