package dev.tokenbus.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 response read from the bytes that came off its connection, as they arrive, in pieces
 * split anywhere: the status line and headers, then the body (chunked, of a {@code Content-Length},
 * or to the connection's end), decoded and handed to a {@link Body} with the time its piece arrived.
 * The raw-socket clients feed it from their socket, the curl client from curl's trace of what it
 * received.
 */
final class HttpResponseReader {

  /** Where the decoded body goes. */
  interface Body {
    void accept(byte[] bytes, int offset, int length, long nowNanos);
  }

  private enum State { HEAD, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, LENGTH, TO_CLOSE, DONE }

  /** The most of a failed response's body kept for its error message. */
  private static final int ERROR_BODY_LIMIT = 4096;

  private final Body body;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errorBody = new ByteArrayOutputStream();
  private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  private State state = State.HEAD;
  private int status = -1;
  private long remaining;
  private long firstByteNanos = -1;

  HttpResponseReader(Body body) {
    this.body = body;
  }

  /**
   * The next {@code length} bytes of the connection, arrived at {@code nowNanos}.
   *
   * @throws IllegalStateException for bytes that are no HTTP/1.1 response
   */
  void accept(byte[] bytes, int offset, int length, long nowNanos) {
    if (firstByteNanos < 0 && length > 0) {
      firstByteNanos = nowNanos;
    }
    int i = offset;
    int end = offset + length;
    while (i < end && state != State.DONE) {
      switch (state) {
        case HEAD, CHUNK_SIZE, CHUNK_END, TRAILER -> {
          byte b = bytes[i++];
          pending.write(b);
          if (b == '\n') {
            line(nowNanos);
          }
        }
        case CHUNK_DATA, LENGTH -> {
          int n = (int) Math.min(remaining, end - i);
          deliver(bytes, i, n, nowNanos);
          i += n;
          remaining -= n;
          if (remaining == 0) {
            state = state == State.LENGTH ? State.DONE : State.CHUNK_END;
          }
        }
        case TO_CLOSE -> {
          deliver(bytes, i, end - i, nowNanos);
          i = end;
        }
        case DONE -> throw new AssertionError();
      }
    }
  }

  /** One line of the head, a chunk size, a chunk's CRLF or a trailer, complete with its LF. */
  private void line(long nowNanos) {
    String text = pending.toString(StandardCharsets.ISO_8859_1).strip();
    pending.reset();
    switch (state) {
      case HEAD -> {
        if (status < 0) {
          String[] parts = text.split(" ", 3);
          if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IllegalStateException("not an HTTP/1.x status line: " + text);
          }
          status = Integer.parseInt(parts[1]);
        } else if (!text.isEmpty()) {
          int colon = text.indexOf(':');
          if (colon > 0) {
            headers.put(text.substring(0, colon).strip(), text.substring(colon + 1).strip());
          }
        } else {
          startBody();
        }
      }
      case CHUNK_SIZE -> {
        int semicolon = text.indexOf(';');
        remaining = Long.parseLong(semicolon < 0 ? text : text.substring(0, semicolon).strip(), 16);
        state = remaining == 0 ? State.TRAILER : State.CHUNK_DATA;
      }
      case CHUNK_END -> {
        if (!text.isEmpty()) {
          throw new IllegalStateException("a chunk longer than its size: " + text);
        }
        state = State.CHUNK_SIZE;
      }
      case TRAILER -> {
        if (text.isEmpty()) {
          state = State.DONE;
        }
      }
      default -> throw new AssertionError(state);
    }
  }

  private void startBody() {
    String encoding = headers.getOrDefault("Transfer-Encoding", "");
    String length = headers.get("Content-Length");
    if (encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      state = State.CHUNK_SIZE;
    } else if (length != null) {
      remaining = Long.parseLong(length);
      state = remaining == 0 ? State.DONE : State.LENGTH;
    } else {
      state = State.TO_CLOSE;
    }
  }

  private void deliver(byte[] bytes, int offset, int length, long nowNanos) {
    if (status == 200) {
      body.accept(bytes, offset, length, nowNanos);
    } else {
      errorBody.write(bytes, offset, Math.min(length, ERROR_BODY_LIMIT - errorBody.size()));
    }
  }

  /** Whether the whole response has been read (with no length and no chunks: never, the connection's end tells). */
  boolean complete() {
    return state == State.DONE;
  }

  /** Whether the status line and every header have been read. */
  boolean headRead() {
    return state != State.HEAD;
  }

  /** The status, or -1 before the status line. */
  int status() {
    return status;
  }

  /** A header's value (any case), or null. */
  String header(String name) {
    return headers.get(name);
  }

  /** When the first byte arrived, on the clock of the times fed, or -1 before it. */
  long firstByteNanos() {
    return firstByteNanos;
  }

  /** The start of a response's body other than 200's, for an error message. */
  String errorBody() {
    return errorBody.toString(StandardCharsets.UTF_8);
  }

  /**
   * A response read to its end: a 200 as {@code sse} read it, a 429 with its {@code Retry-After}.
   *
   * @throws IllegalStateException for any other status
   */
  SseLoad.Stream stream(SseReader sse, long sentNanos, long startNanos) {
    long firstByte = firstByteNanos < 0 ? -1 : firstByteNanos - startNanos;
    if (status == 429) {
      String retry = header("Retry-After");
      return new SseLoad.Stream(429, retry == null ? -1 : Long.parseLong(retry.strip()), sentNanos, new long[0], -1,
          firstByte);
    }
    if (status != 200) {
      throw new IllegalStateException("HTTP " + status + ": " + errorBody());
    }
    return sse.stream(sentNanos, firstByte);
  }
}
