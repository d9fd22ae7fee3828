package dev.tokenbus.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads one SSE response body as it arrives, in pieces split anywhere (inside a line, a UTF-8
 * character or a CRLF), classifies each event with the route's {@link SseLoad.Dialect} and records
 * when each token event arrived: the time of the piece that completed its line. Every client style
 * feeds the same reader, so they differ only in how the bytes reach it.
 */
final class SseReader implements HttpResponseReader.Body {

  private final SseLoad.Dialect dialect;
  private final long startNanos;
  private final java.util.function.Consumer<String> onToken;
  private byte[] line = new byte[512];
  private int lineLength;
  private String event;
  private long[] arrivals = new long[64];
  private int count;
  private int completionTokens = -1;

  /**
   * @param startNanos the request's start ({@link System#nanoTime()}, or the clock of the times fed):
   *     arrivals are recorded from it
   */
  SseReader(SseLoad.Dialect dialect, long startNanos) {
    this(dialect, startNanos, data -> { });
  }

  /**
   * A reader that also hands each token event's data to {@code onToken}, on the reading thread,
   * after its arrival was recorded (a caller that reads the text, or acts at the n-th token).
   */
  SseReader(SseLoad.Dialect dialect, long startNanos, java.util.function.Consumer<String> onToken) {
    this.dialect = dialect;
    this.startNanos = startNanos;
    this.onToken = onToken;
  }

  /**
   * The next {@code length} bytes of the body, arrived at {@code nowNanos}.
   *
   * @throws IllegalStateException when an event reports an error
   */
  @Override
  public void accept(byte[] bytes, int offset, int length, long nowNanos) {
    for (int i = offset; i < offset + length; i++) {
      byte b = bytes[i];
      if (b == '\n') {
        line(nowNanos);
        lineLength = 0;
      } else {
        if (lineLength == line.length) {
          line = Arrays.copyOf(line, line.length * 2);
        }
        line[lineLength++] = b;
      }
    }
  }

  private void line(long nowNanos) {
    int n = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
    String text = new String(line, 0, n, StandardCharsets.UTF_8);
    if (text.isEmpty()) {
      event = null;
    } else if (text.startsWith("event:")) {
      event = text.substring(6).trim();
    } else if (text.startsWith("data:")) {
      String data = text.substring(5).trim();
      SseLoad.Event e = dialect.classify(event, data);
      switch (e.kind()) {
        case TOKEN -> {
          if (count == arrivals.length) {
            arrivals = Arrays.copyOf(arrivals, count * 2);
          }
          arrivals[count++] = nowNanos - startNanos;
          onToken.accept(data);
        }
        case DONE -> completionTokens = e.completionTokens();
        case ERROR -> throw new IllegalStateException("stream failed: " + e.error());
        case OTHER -> { }
      }
    }
  }

  /** The token events read so far. */
  int tokens() {
    return count;
  }

  /**
   * The stream as read: status 200, with {@code firstByteNanos} (from the start, -1 when unknown).
   *
   * @param sentNanos the request's start on {@link System#nanoTime()}'s clock
   */
  SseLoad.Stream stream(long sentNanos, long firstByteNanos) {
    return new SseLoad.Stream(200, -1, sentNanos, Arrays.copyOf(arrivals, count), completionTokens, firstByteNanos);
  }
}
