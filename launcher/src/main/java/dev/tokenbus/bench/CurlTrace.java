package dev.tokenbus.bench;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What curl's {@code --trace - --trace-time} printed for one request, followed by its
 * {@code -w} line {@value #START_TRANSFER} seconds: when curl began to connect, and every block it
 * received (the response's bytes as they came off the connection, head and chunked framing
 * included), each with curl's own timestamp. Times are nanoseconds since midnight on curl's clock.
 */
record CurlTrace(long connectNanos, List<Received> received, double startTransferSeconds) {

  /** The {@code -w} variable printed after the trace, on a line of its own with its name. */
  static final String START_TRANSFER = "time_starttransfer";

  /** One block curl received ({@code <= Recv header} or {@code <= Recv data}). */
  record Received(long nanos, byte[] bytes) {}

  private static final Pattern EVENT = Pattern.compile("^(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{6}) (.*)$");
  private static final Pattern ROW = Pattern.compile("^[0-9a-f]{4,}: (.*)$");
  /** A row of {@code --trace}'s hex dump: 16 bytes as {@code "%02x "}, blank-padded, then their text. */
  private static final int HEX_WIDTH = 16 * 3;

  /**
   * Reads a trace.
   *
   * @throws IllegalArgumentException without a {@code Trying} line or without the {@code -w} line
   */
  static CurlTrace parse(String text) {
    long connect = -1;
    double startTransfer = Double.NaN;
    long dayOffset = 0;
    long last = -1;
    List<Received> received = new ArrayList<>();
    ByteArrayOutputStream block = null;
    long blockNanos = 0;
    for (String line : text.split("\n")) {
      Matcher event = EVENT.matcher(line);
      Matcher row = ROW.matcher(line);
      if (event.matches()) {
        if (block != null) {
          received.add(new Received(blockNanos, block.toByteArray()));
          block = null;
        }
        long nanos = TimeUnit.HOURS.toNanos(Long.parseLong(event.group(1)))
            + TimeUnit.MINUTES.toNanos(Long.parseLong(event.group(2)))
            + TimeUnit.SECONDS.toNanos(Long.parseLong(event.group(3)))
            + TimeUnit.MICROSECONDS.toNanos(Long.parseLong(event.group(4)));
        if (nanos + dayOffset < last) {
          dayOffset += TimeUnit.DAYS.toNanos(1); // past midnight
        }
        nanos += dayOffset;
        last = nanos;
        String what = event.group(5);
        if (connect < 0 && what.startsWith("== Info:") && what.contains("Trying ")) {
          connect = nanos;
        } else if (what.startsWith("<= Recv header") || what.startsWith("<= Recv data")) {
          block = new ByteArrayOutputStream();
          blockNanos = nanos;
        }
      } else if (row.matches()) {
        if (block != null) {
          String hex = row.group(1).substring(0, Math.min(HEX_WIDTH, row.group(1).length()));
          for (String b : hex.trim().split(" +")) {
            block.write(Integer.parseInt(b, 16));
          }
        }
      } else if (line.startsWith(START_TRANSFER + " ")) {
        startTransfer = Double.parseDouble(line.substring(START_TRANSFER.length() + 1).strip());
      }
    }
    if (block != null) {
      received.add(new Received(blockNanos, block.toByteArray()));
    }
    if (connect < 0 || Double.isNaN(startTransfer)) {
      throw new IllegalArgumentException("not a curl --trace-time trace with a -w " + START_TRANSFER + " line");
    }
    return new CurlTrace(connect, List.copyOf(received), startTransfer);
  }

  /**
   * The stream this trace shows, read from the bytes curl received as a raw socket reads them, timed
   * on curl's clock from its connect: TTFT ends at the block holding the first token event; the
   * first byte is curl's {@value #START_TRANSFER}.
   *
   * @param sentNanos when the request was started, on {@link System#nanoTime()}'s clock
   */
  SseLoad.Stream stream(SseLoad.Dialect dialect, long sentNanos) {
    SseReader sse = new SseReader(dialect, connectNanos);
    HttpResponseReader response = new HttpResponseReader(sse);
    for (Received r : received) {
      response.accept(r.bytes(), 0, r.bytes().length, r.nanos());
    }
    if (!response.headRead()) {
      throw new IllegalStateException("curl received no response");
    }
    SseLoad.Stream s = response.stream(sse, sentNanos, connectNanos);
    return new SseLoad.Stream(s.status(), s.retryAfterSeconds(), s.sentNanos(), s.arrivalNanos(),
        s.completionTokens(), Math.round(startTransferSeconds * 1e9));
  }
}
