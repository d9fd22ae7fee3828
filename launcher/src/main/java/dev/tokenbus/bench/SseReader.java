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
  private static final byte[] EVENT = "event:".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
  private static final String TOKEN = "token";
  private static final byte[] TOKEN_BYTES = TOKEN.getBytes(StandardCharsets.US_ASCII);

  private final Runnable onToken;
  /** Takes each token event's data, or null: then a token known by its event name is not decoded. */
  private final java.util.function.Consumer<String> onTokenData;
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
    this(dialect, startNanos, () -> { }, null);
  }

  /**
   * A reader that also runs {@code onToken} at each token event, on the reading thread, after its
   * arrival was recorded (a caller that acts at the n-th token).
   */
  SseReader(SseLoad.Dialect dialect, long startNanos, Runnable onToken) {
    this(dialect, startNanos, onToken, null);
  }

  /**
   * A reader that also hands each token event's data to {@code onTokenData}, on the reading thread,
   * after its arrival was recorded (a caller that reads the text).
   */
  SseReader(SseLoad.Dialect dialect, long startNanos, java.util.function.Consumer<String> onTokenData) {
    this(dialect, startNanos, () -> { }, onTokenData);
  }

  private SseReader(SseLoad.Dialect dialect, long startNanos, Runnable onToken,
      java.util.function.Consumer<String> onTokenData) {
    this.dialect = dialect;
    this.startNanos = startNanos;
    this.onToken = onToken;
    this.onTokenData = onTokenData;
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

  /**
   * One line of the body. Only what an event needs is decoded: a bench client holding thousands of
   * streams makes no strings for {@code id:} lines, nor for a token event's data where the dialect
   * knows a token by its event name (its own garbage pauses would be measured as the server's latency).
   */
  private void line(long nowNanos) {
    int n = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
    if (n == 0) {
      event = null;
    } else if (startsWith(EVENT, n)) {
      event = trimmed(EVENT.length, n);
    } else if (startsWith(DATA, n)) {
      if (onTokenData == null && dialect == SseLoad.Dialect.TOKENBUS && TOKEN.equals(event)) {
        token(nowNanos); // a token whatever its data, as classify() says
        return;
      }
      String data = trimmed(DATA.length, n);
      SseLoad.Event e = dialect.classify(event, data);
      switch (e.kind()) {
        case TOKEN -> {
          token(nowNanos);
          if (onTokenData != null) {
            onTokenData.accept(data);
          }
        }
        case DONE -> completionTokens = e.completionTokens();
        case ERROR -> throw new IllegalStateException("stream failed: " + e.error());
        case OTHER -> { }
      }
    }
  }

  private void token(long nowNanos) {
    if (count == arrivals.length) {
      arrivals = Arrays.copyOf(arrivals, count * 2);
    }
    arrivals[count++] = nowNanos - startNanos;
    onToken.run();
  }

  private boolean startsWith(byte[] prefix, int n) {
    return n >= prefix.length && Arrays.equals(line, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** The line from {@code from} to {@code to} as {@link String#trim} would give it after decoding. */
  private String trimmed(int from, int to) {
    while (from < to && (line[from] & 0xFF) <= ' ') {
      from++;
    }
    while (to > from && (line[to - 1] & 0xFF) <= ' ') {
      to--;
    }
    if (Arrays.equals(line, from, to, TOKEN_BYTES, 0, TOKEN_BYTES.length)) {
      return TOKEN;
    }
    return new String(line, from, to - from, StandardCharsets.UTF_8);
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
