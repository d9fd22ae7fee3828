package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The curl style's trace reader on a trace curl 7.88.1 printed ({@code --trace - --trace-time} and the
 * {@code -w} line, as {@link CurlClient} runs it) for llama-server v0.5.0's {@code /completion}: a
 * chunked stream of 4 tokens (a block each) and a last event, stories260K.
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
    // 19:20:11.977652 == Info:   Trying 127.0.0.1:8191...
    assertThat(trace.connectNanos()).isEqualTo(((19 * 60 + 20) * 60 + 11) * 1_000_000_000L + 977_652_000L);
    // The head (8 blocks, a line each), then 7 of data: 4 tokens, the last event, the last chunk in 2 sends.
    assertThat(trace.received()).hasSize(15);
    assertThat(new String(trace.received().getFirst().bytes(), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200 OK\r\n");
    assertThat(new String(trace.received().get(8).bytes(), StandardCharsets.US_ASCII)).startsWith("74\r\ndata: {");
    SseLoad.Stream s = trace.stream(SseLoad.Dialect.LLAMA_SERVER, 42);
    assertThat(s.sentNanos()).isEqualTo(42);
    // <= Recv data at .981250, .982079, .982631 and .983274: from the connect, in µs.
    assertThat(s.arrivalNanos()).containsExactly(3_598_000, 4_427_000, 4_979_000, 5_622_000);
    assertThat(s.completionTokens()).isEqualTo(4);
    // time_starttransfer 0.002448: the head came 1.1 ms before the first token.
    assertThat(s.firstByteNanos()).isEqualTo(2_448_000);
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
