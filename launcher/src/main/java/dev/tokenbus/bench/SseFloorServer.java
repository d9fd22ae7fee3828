package dev.tokenbus.bench;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.gateway.api.generate.TokenJson;
import dev.tokenbus.gateway.serve.SseChannel;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.Timings;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.Usage;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The floor under {@code bench scale}'s added inter-token latency: the simplest server that streams
 * tokens over SSE as a tokenbus gateway does on {@code POST /v1/generate}, with no event bus, no worker
 * and no dispatch behind it. What {@code bench scale --floor} measures against it with the same client
 * is what this machine and that client add by themselves; a gateway's figures are read against it.
 *
 * <p>The wire format is the gateway's: the same headers, then per token {@code id: <index>},
 * {@code event: token} and a {@code data:} line with {@link TokenJson#token}'s payload (the last token
 * {@code is_final} with {@code finish_reason: "length"}), then {@code event: done} with
 * {@link TokenJson#done}'s. A request's JSON body gives {@code max_tokens} (default
 * {@value #DEFAULT_MAX_TOKENS}) and {@code stream_delay_ms} (default 0), the least pause after a token
 * before the stream's next one may go, as on a worker; nothing else of it is read (no prompt: its
 * {@code prompt_tokens} is 0; no deadline; no keep-alive comments).
 *
 * <p>One Vert.x HTTP/1.1 server on loopback, on as many event loops as a gateway's node has
 * ({@link ClusterNode#EVENT_LOOPS}), every handler and timer on its one context. Tokens are paced by
 * timers, every {@code itlMs}, in one of two ways ({@link Pacing}): all streams at once on one timer,
 * as a simulated worker's step emits a token for each of its streams, or each stream on a timer of its
 * own from its own start. A response whose write queue is full skips that tick (its token goes at a
 * later one, counted in {@code /metrics}): nothing queues without bound. A client that leaves ends its
 * stream.
 *
 * <p>Routes beside {@code /v1/generate}: {@code GET /v1/status} ({@code {"streams": <open>}}) and
 * {@code GET /metrics}: this JVM's stop-the-world GC pauses and heap in use, named as Micrometer names
 * them on a node (so that the benchmark reads them as a gateway's), the streams open, the tokens
 * written and the writes skipped.
 *
 * <p>Run: {@code java -cp tokenbus.jar dev.tokenbus.bench.SseFloorServer --port N [--itl-ms 1000]
 * [--pacing in-phase|phased]}. Run so, it exits when the process that started it does: a benchmark
 * that dies leaves no server behind.
 */
public final class SseFloorServer extends VerticleBase implements AutoCloseable {

  /** How the streams' tokens are spread over time. */
  public enum Pacing {
    /** One timer every ITL writes the next token of every open stream: one burst per ITL. */
    IN_PHASE("in-phase"),
    /** Each stream on a timer of its own, its first token at once and then one every ITL. */
    PHASED("phased");

    private final String label;

    Pacing(String label) {
      this.label = label;
    }

    /** The command line's name: {@code in-phase} or {@code phased}. */
    public String label() {
      return label;
    }

    /** The pacing whose {@link #label} is {@code label}. */
    public static Pacing parse(String label) {
      for (Pacing p : values()) {
        if (p.label.equals(label)) {
          return p;
        }
      }
      throw new IllegalArgumentException("pacing must be in-phase or phased, got '" + label + "'");
    }
  }

  static final int DEFAULT_MAX_TOKENS = 16;
  private static final String HOST = "127.0.0.1";
  /** Every token's text and id: a short word, about the size of a simulated worker's. */
  private static final String TEXT = " word";
  private static final int TOKEN_ID = 300;

  private final Pacing pacing;
  private final long itlMs;
  private final int port;
  /** The open streams of {@link Pacing#IN_PHASE}, in arrival order; finished ones leave at the next step. */
  private final List<Stream> stepped = new ArrayList<>();
  private HttpServer server;
  private int open;
  private long tokens;
  private long skipped;

  private SseFloorServer(Pacing pacing, long itlMs, int port) {
    if (itlMs < 1 || itlMs > 60_000) {
      throw new IllegalArgumentException("itl-ms must be between 1 and 60000, got " + itlMs);
    }
    this.pacing = pacing;
    this.itlMs = itlMs;
    this.port = port;
  }

  /**
   * Starts a server on a Vert.x of its own, listening on {@code 127.0.0.1:port} (0: any free port,
   * see {@link #port}) once this returns; {@link #close} stops both.
   */
  public static SseFloorServer start(Pacing pacing, long itlMs, int port) throws Exception {
    SseFloorServer s = new SseFloorServer(pacing, itlMs, port);
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true)
        .setEventLoopPoolSize(ClusterNode.EVENT_LOOPS));
    try {
      vertx.deployVerticle(s).await(30, TimeUnit.SECONDS);
      return s;
    } catch (Exception e) {
      vertx.close().await(30, TimeUnit.SECONDS);
      throw e;
    }
  }

  @Override
  public Future<?> start() {
    if (pacing == Pacing.IN_PHASE) {
      vertx.setPeriodic(itlMs, itlMs, id -> step());
    }
    // As a gateway's server: HTTP/1.1 only on cleartext, the OS's socket buffers, Vert.x's write queue.
    server = vertx.createHttpServer(new HttpServerOptions().setHost(HOST).setPort(port)
        .setHttp2ClearTextEnabled(false)).requestHandler(this::handle);
    return server.listen();
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  /** Stops the server and its Vert.x: every open stream's connection closes. */
  @Override
  public void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private void handle(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    switch (request.method().name() + " " + request.path()) {
      case "POST /v1/generate" -> request.body().onSuccess(body -> generate(response, body))
          .onFailure(e -> reply(response, 400, error(e.toString())));
      case "GET /v1/status" -> reply(response, 200, new JsonObject().put("streams", open).put("pacing", pacing.label)
          .put("itl_ms", itlMs).encode());
      case "GET /metrics" -> response.putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
          .end(metrics());
      default -> reply(response, 404, error("no route for " + request.method() + " " + request.path()));
    }
  }

  private void generate(HttpServerResponse response, Buffer body) {
    if (response.closed()) {
      return; // the client left before its body was read
    }
    int maxTokens;
    long delayMs;
    try {
      JsonObject json = body.length() == 0 ? new JsonObject() : body.toJsonObject();
      maxTokens = json.getInteger("max_tokens", DEFAULT_MAX_TOKENS);
      delayMs = json.getLong("stream_delay_ms", 0L);
    } catch (RuntimeException e) { // not JSON, or a field of the wrong type
      reply(response, 400, error("the body must be a JSON object with integer max_tokens and stream_delay_ms: "
          + e.getMessage()));
      return;
    }
    if (maxTokens < 1 || maxTokens > 10_000_000 || delayMs < 0 || delayMs > 60_000) {
      reply(response, 400, error("max_tokens must be between 1 and 10000000 and stream_delay_ms between 0 and"
          + " 60000, got " + maxTokens + " and " + delayMs));
      return;
    }
    // The headers a gateway's SSE channel sends, at once: the request is taken.
    response.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no").writeHead();
    Stream s = new Stream(response, maxTokens, TimeUnit.MILLISECONDS.toNanos(delayMs));
    open++;
    response.closeHandler(v -> s.finish());
    response.exceptionHandler(e -> s.finish());
    if (pacing == Pacing.IN_PHASE) {
      stepped.add(s);
    } else {
      s.tick(System.nanoTime());
      if (!s.finished) {
        s.timer = vertx.setPeriodic(itlMs, itlMs, id -> s.tick(System.nanoTime()));
      }
    }
  }

  /** {@link Pacing#IN_PHASE}'s tick: the next token of every open stream, in one pass. */
  private void step() {
    long now = System.nanoTime();
    int kept = 0;
    for (int i = 0; i < stepped.size(); i++) {
      Stream s = stepped.get(i);
      s.tick(now);
      if (!s.finished) {
        stepped.set(kept++, s);
      }
    }
    stepped.subList(kept, stepped.size()).clear();
  }

  /** One open stream; touched on the server's context only. */
  private final class Stream {
    private final HttpServerResponse response;
    private final int maxTokens;
    private final long delayNanos;
    private long firstNanos;
    private long lastNanos;
    private int next;
    private long timer = -1;
    private boolean finished;

    Stream(HttpServerResponse response, int maxTokens, long delayNanos) {
      this.response = response;
      this.maxTokens = maxTokens;
      this.delayNanos = delayNanos;
    }

    /**
     * Writes the next token unless the stream's pause since its last one is not over or its write
     * queue is full; after the last, the {@code done} event, and the response ends.
     */
    void tick(long now) {
      if (finished || (next > 0 && now - lastNanos < delayNanos)) {
        return;
      }
      if (response.closed()) {
        finish();
        return;
      }
      if (response.writeQueueFull()) {
        skipped++;
        return;
      }
      boolean last = next == maxTokens - 1;
      if (next == 0) {
        firstNanos = now;
      }
      StringBuilder text = new StringBuilder(192);
      event(text, "token", Integer.toString(next), TokenJson.token(new TokenData(next, TEXT, TOKEN_ID, -1.0,
          List.of(), last, last ? FinishReason.LENGTH : null)));
      tokens++;
      lastNanos = now;
      next++;
      if (!last) {
        response.write(SseChannel.utf8(text));
        return;
      }
      double generationMs = (now - firstNanos) / 1e6;
      event(text, "done", null, TokenJson.done(new GenerationResult(FinishReason.LENGTH, new Usage(0, maxTokens),
          new Timings(0, 0, generationMs, 0, maxTokens), null, 0), 0));
      response.end(SseChannel.utf8(text));
      finish();
    }

    /** Once: the stream no longer counts as open, and its own timer stops. */
    void finish() {
      if (!finished) {
        finished = true;
        open--;
        if (timer >= 0) {
          vertx.cancelTimer(timer);
        }
      }
    }
  }

  /** One SSE event as a gateway writes it (the gateway's own framing and JSON encoding). */
  private static void event(StringBuilder out, String name, String id, JsonObject payload) {
    SseChannel.appendEvent(out, name, id, payload);
  }

  private String metrics() {
    ScaleBenchmark.GcPauses gc = ScaleBenchmark.GcPauses.ofThisJvm();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    return String.format(Locale.ROOT, """
        # this JVM's stop-the-world GC pauses (concurrent cycles left out) and heap in use, from its MXBeans
        jvm_gc_pause_seconds_count %d
        jvm_gc_pause_seconds_sum %.3f
        jvm_memory_used_bytes{area="heap"} %d
        tokenbus_floor_streams %d
        tokenbus_floor_tokens_total %d
        tokenbus_floor_skipped_writes_total %d
        """, gc.count(), gc.totalMs() / 1000, heap, open, tokens, skipped);
  }

  private static void reply(HttpServerResponse response, int status, String json) {
    response.setStatusCode(status).putHeader("Content-Type", "application/json").end(json);
  }

  private static String error(String message) {
    return new JsonObject().put("error", new JsonObject().put("message", message)).encode();
  }

  /**
   * {@code --port N [--itl-ms 1000] [--pacing in-phase|phased]}: serves until killed, or until the
   * process that started it exits.
   */
  public static void main(String[] args) throws Exception {
    int port = -1;
    long itlMs = 1000;
    Pacing pacing = Pacing.IN_PHASE;
    try {
      for (int i = 0; i < args.length; i++) {
        String value = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--port" -> port = Integer.parseInt(value);
          case "--itl-ms" -> itlMs = Long.parseLong(value);
          case "--pacing" -> pacing = Pacing.parse(value);
          default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
        }
        i++;
      }
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("give --port, between 0 and 65535");
      }
    } catch (RuntimeException e) {
      System.err.println("SseFloorServer: " + e.getMessage()
          + "\nusage: SseFloorServer --port N [--itl-ms 1000] [--pacing in-phase|phased]");
      System.exit(2);
      return;
    }
    SseFloorServer s = start(pacing, itlMs, port);
    System.out.println("sse floor server listening on http://" + HOST + ":" + s.port() + ", " + pacing.label
        + ", a token every " + itlMs + " ms");
    ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
  }
}
