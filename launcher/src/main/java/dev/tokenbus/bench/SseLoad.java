package dev.tokenbus.bench;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Drives SSE generations against a gateway and measures tokens/s, time to first token and
 * inter-token latency (the gaps between consecutive token events of one stream): either N
 * requests at once ({@link #run}), or N clients that each send their next request as soon as the
 * last one ended, for a while ({@link #runFor}). A request refused with 429 (the gateway's
 * admission queue is full) is counted; any other refusal, or a stream that ends in an error,
 * fails the round.
 */
public final class SseLoad {

  /**
   * One request.
   *
   * @param status the HTTP status: 200, or 429
   * @param retryAfterSeconds a 429's {@code Retry-After}, or -1
   * @param sentNanos when it was sent ({@link System#nanoTime()})
   * @param arrivalNanos when each token event arrived, from sending the request
   * @param completionTokens {@code done}'s {@code usage.completion_tokens}, or -1 without {@code done}
   */
  public record Stream(int status, long retryAfterSeconds, long sentNanos, long[] arrivalNanos,
      int completionTokens) {

    public boolean rejected() {
      return status == 429;
    }
  }

  /** One round: tokens over the time measured, each stream's TTFT, every inter-token gap, and each request. */
  public record Round(double tokensPerSecond, List<Double> ttftMs, List<Double> itlMs, List<Stream> streams) {

    public long rejected() {
      return streams.stream().filter(Stream::rejected).count();
    }

    /** The tokens that arrived until {@code endNanos}, over the time from {@code startNanos}. */
    static Round of(List<Stream> streams, long startNanos, long endNanos) {
      long tokens = 0;
      List<Double> ttft = new ArrayList<>();
      List<Double> itl = new ArrayList<>();
      for (Stream s : streams) {
        long[] arrivals = s.arrivalNanos();
        for (long a : arrivals) {
          if (s.sentNanos() + a <= endNanos) {
            tokens++;
          }
        }
        if (arrivals.length > 0) {
          ttft.add(arrivals[0] / 1e6);
        }
        for (int i = 1; i < arrivals.length; i++) {
          itl.add((arrivals[i] - arrivals[i - 1]) / 1e6);
        }
      }
      return new Round(tokens * 1e9 / (endNanos - startNanos), ttft, itl, streams);
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI uri;

  public SseLoad(int port) {
    this.uri = URI.create("http://127.0.0.1:" + port + "/v1/generate");
  }

  /** Sends {@code concurrency} requests with {@code body} at once and reads every stream to its end. */
  public Round run(int concurrency, String body) throws Exception {
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      long t0 = System.nanoTime();
      List<Future<Stream>> results = new ArrayList<>();
      for (int i = 0; i < concurrency; i++) {
        results.add(pool.submit(() -> stream(body)));
      }
      List<Stream> streams = new ArrayList<>();
      for (Future<Stream> f : results) {
        streams.add(f.get());
      }
      return Round.of(streams, t0, System.nanoTime());
    }
  }

  /**
   * {@code clients} clients, each sending {@code body} again as soon as its last stream ended (after
   * a 429, once its {@code Retry-After} has passed), for {@code duration}: the steady state, with no
   * round's start or end in it. Only the tokens that arrived within the duration count; streams
   * open at its end are read to their end, uncounted.
   */
  public Round runFor(int clients, Duration duration, String body) throws Exception {
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      long t0 = System.nanoTime();
      long end = t0 + duration.toNanos();
      List<Future<List<Stream>>> results = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        results.add(pool.submit(() -> {
          List<Stream> mine = new ArrayList<>();
          while (System.nanoTime() < end) {
            Stream s = stream(body);
            mine.add(s);
            if (s.rejected()) {
              long waitNanos = Math.min(TimeUnit.SECONDS.toNanos(Math.max(1, s.retryAfterSeconds())),
                  end - System.nanoTime());
              if (waitNanos > 0) {
                Thread.sleep(Duration.ofNanos(waitNanos)); // as a polite client does
              }
            }
          }
          return mine;
        }));
      }
      List<Stream> streams = new ArrayList<>();
      for (Future<List<Stream>> f : results) {
        streams.addAll(f.get());
      }
      return Round.of(streams, t0, end);
    }
  }

  private Stream stream(String body) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(uri)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() == 429) {
      r.body().close();
      return new Stream(429, r.headers().firstValueAsLong("Retry-After").orElse(-1), t0, new long[0], -1);
    }
    if (r.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body().readAllBytes()));
    }
    long[] arrivals = new long[64];
    int count = 0;
    int completionTokens = -1;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("event: token")) {
          if (count == arrivals.length) {
            arrivals = Arrays.copyOf(arrivals, count * 2);
          }
          arrivals[count++] = System.nanoTime() - t0;
        } else if (line.equals("event: done")) {
          completionTokens = usage(in.readLine());
        } else if (line.equals("event: error")) {
          throw new IllegalStateException("stream failed: " + in.readLine());
        }
      }
    }
    return new Stream(200, -1, t0, Arrays.copyOf(arrivals, count), completionTokens);
  }

  /** {@code usage.completion_tokens} of a {@code done} event's data line. */
  private static int usage(String dataLine) {
    if (dataLine == null || !dataLine.startsWith("data:")) {
      return -1;
    }
    return new JsonObject(dataLine.substring(5).trim()).getJsonObject("usage").getInteger("completion_tokens", -1);
  }
}
