package dev.tokenbus.bench;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
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
   * @param firstByteNanos when the response's first byte arrived, from sending the request, or -1 when
   *     unknown (a client that only sees the head reports when the head was read)
   */
  public record Stream(int status, long retryAfterSeconds, long sentNanos, long[] arrivalNanos,
      int completionTokens, long firstByteNanos) {

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

  /**
   * The SSE shape of a server's streaming route: where it is and which events carry a token. One
   * reader serves them all, so every server is measured by the same client code.
   */
  public enum Dialect {
    /** tokenbus {@code /v1/generate}: {@code event: token}, {@code event: done} with {@code usage}, {@code event: error}. */
    TOKENBUS("/v1/generate"),
    /**
     * tokenbus {@code /v1/chat/completions} (OpenAI): a {@code data:} chunk per token with
     * {@code delta.content} (the opening chunk has only the role), a usage chunk when asked, then {@code [DONE]}.
     */
    OPENAI_CHAT("/v1/chat/completions"),
    /**
     * llama.cpp's llama-server {@code /completion} with {@code stream: true}: a {@code data:} chunk per
     * token with {@code "stop":false}, a last one with {@code "stop":true} and {@code tokens_predicted}.
     */
    LLAMA_SERVER("/completion");

    private final String path;

    Dialect(String path) {
      this.path = path;
    }

    /** The route's path. */
    public String path() {
      return path;
    }

    /** What one event means: a token, the end (with the completion tokens, or -1), an error, or nothing counted. */
    Event classify(String event, String data) {
      return switch (this) {
        case TOKENBUS -> switch (event == null ? "" : event) {
          case "token" -> Event.TOKEN;
          case "done" -> Event.done(usage(data, "usage"));
          case "error" -> Event.error(data);
          default -> Event.OTHER;
        };
        case OPENAI_CHAT -> {
          if (data.equals("[DONE]")) {
            yield Event.OTHER;
          } else if (data.startsWith("{\"error\"")) {
            yield Event.error(data);
          } else if (data.contains("\"delta\":{\"content\"")) {
            yield Event.TOKEN;
          } else if (data.contains("\"choices\":[]")) {
            yield Event.done(usage(data, "usage"));
          }
          yield Event.OTHER;
        }
        case LLAMA_SERVER -> {
          if (data.startsWith("{\"error\"")) {
            yield Event.error(data);
          } else if (data.contains("\"stop\":false") && !data.contains("\"prompt_progress\"")) {
            yield Event.TOKEN;
          } else if (data.contains("\"stop\":true")) {
            yield Event.done(new JsonObject(data).getInteger("tokens_predicted", -1));
          }
          yield Event.OTHER;
        }
      };
    }
  }

  /** One SSE event, as a {@link Dialect} reads it. */
  record Event(Kind kind, int completionTokens, String error) {

    enum Kind { TOKEN, DONE, ERROR, OTHER }

    static final Event TOKEN = new Event(Kind.TOKEN, -1, null);
    static final Event OTHER = new Event(Kind.OTHER, -1, null);

    static Event done(int completionTokens) {
      return new Event(Kind.DONE, completionTokens, null);
    }

    static Event error(String data) {
      return new Event(Kind.ERROR, -1, data);
    }
  }

  private final FirstTokenClient client;

  /** tokenbus's {@code /v1/generate}, over pooled connections of the JDK's client. */
  public SseLoad(int port) {
    this(port, Dialect.TOKENBUS, false);
  }

  /**
   * A server's streaming route, read by the JDK's client.
   *
   * @param newConnections every request on a new connection (a client of its own, made before its
   *     clock starts, closed after): the connection's setup counts in TTFT, as for a new visitor
   */
  public SseLoad(int port, Dialect dialect, boolean newConnections) {
    this(new JdkClient(port, dialect, newConnections));
  }

  /** Requests sent and read by {@code client}. */
  SseLoad(FirstTokenClient client) {
    this.client = client;
  }

  /** {@code requests} requests with {@code body}, one after the other: latency without contention. */
  public Round sequential(int requests, String body) throws Exception {
    long t0 = System.nanoTime();
    List<Stream> streams = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      streams.add(stream(body));
    }
    return Round.of(streams, t0, System.nanoTime());
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
    return client.stream(body);
  }

  /** {@code usage.completion_tokens} of an event's JSON data, or -1 without it. */
  private static int usage(String data, String key) {
    JsonObject usage = new JsonObject(data).getJsonObject(key);
    return usage == null ? -1 : usage.getInteger("completion_tokens", -1);
  }
}
