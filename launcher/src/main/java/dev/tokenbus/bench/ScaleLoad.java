package dev.tokenbus.bench;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many SSE streams held open at once by one client process on two event-loop threads: Vert.x's HTTP
 * client, one connection per stream, the streams spread round-robin over the gateways' ports and
 * opened at a steady rate (a burst of ten thousand connections would measure the accept queue, not
 * the gateway). Each stream's token arrivals are recorded by an {@link SseReader}; nothing else is
 * kept per stream. Made for {@link ScaleBenchmark}: open, wait, read the figures, close.
 */
final class ScaleLoad implements AutoCloseable {

  private static final long TICK_MS = 10;

  /** One stream: its reader (on the event loop) and when its request was sent. */
  private static final class Slot {
    final long sentNanos;
    final SseReader reader;
    volatile boolean ended;

    Slot(long sentNanos, SseReader reader) {
      this.sentNanos = sentNanos;
      this.reader = reader;
    }
  }

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final List<Slot> slots = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

  /** @param connections the most connections to one gateway */
  ScaleLoad(int connections) {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setPreferNativeTransport(true));
    client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(30_000).setKeepAlive(false),
        new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
  }

  /**
   * Sends {@code n} requests with {@code body} to {@code /v1/generate}, stream i to
   * {@code ports[i % ports.size()]}, {@code perSecond} a second; returns at once.
   */
  void open(List<Integer> ports, int n, String body, int perSecond) {
    Buffer content = Buffer.buffer(body);
    // A tick every TICK_MS sending a share of the rate; below a request a tick, one request a tick, ticks further apart.
    long tickMs = Math.max(TICK_MS, 1000 / Math.max(1, perSecond));
    int perTick = Math.max(1, (int) Math.ceil(perSecond * tickMs / 1000.0));
    AtomicInteger sent = new AtomicInteger();
    vertx.setPeriodic(1, tickMs, id -> {
      for (int k = 0; k < perTick; k++) {
        int i = sent.getAndIncrement();
        if (i >= n) {
          vertx.cancelTimer(id);
          return;
        }
        send(ports.get(i % ports.size()), content);
      }
    });
  }

  private void send(int port, Buffer content) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI(SseLoad.Dialect.TOKENBUS.path()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    long t0 = System.nanoTime();
    boolean[] first = {true};
    Slot slot = new Slot(t0, new SseReader(SseLoad.Dialect.TOKENBUS, t0, () -> {
      if (first[0]) {
        first[0] = false;
        started.incrementAndGet();
      }
    }));
    slots.add(slot);
    client.request(request).compose(r -> r.send(content)).onFailure(e -> fail(slot, e.toString())).onSuccess(r -> {
      if (r.statusCode() != 200) {
        r.body().onComplete(b -> fail(slot, "HTTP " + r.statusCode() + ": "
            + (b.succeeded() ? b.result().toString() : b.cause())));
        return;
      }
      r.handler(buffer -> {
        long now = System.nanoTime();
        try {
          ByteBuf bytes = ((BufferInternal) buffer).getByteBuf();
          if (bytes.hasArray()) { // read in place: no copy of every piece for each of thousands of streams
            slot.reader.accept(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes(), now);
          } else {
            byte[] copy = buffer.getBytes();
            slot.reader.accept(copy, 0, copy.length, now);
          }
        } catch (RuntimeException e) {
          fail(slot, e.getMessage());
        }
      });
      r.exceptionHandler(e -> fail(slot, e.toString()));
      r.endHandler(v -> slot.ended = true);
    });
  }

  private void fail(Slot slot, String problem) {
    if (!slot.ended) {
      slot.ended = true;
      failed.incrementAndGet();
      if (problems.size() < 5) {
        problems.add(problem);
      }
    }
  }

  /** Streams whose first token arrived. */
  int started() {
    return started.get();
  }

  /** Streams that failed (refused, broken, an error event). */
  int failed() {
    return failed.get();
  }

  /** Streams that ended, normally or not. */
  int ended() {
    synchronized (slots) {
      return (int) slots.stream().filter(s -> s.ended).count();
    }
  }

  /** The first few failures, for the report. */
  List<String> problems() {
    return List.copyOf(problems);
  }

  /**
   * Each stream's token arrival times, on {@link System#nanoTime()}'s clock; call after
   * {@link #close} (the readers are written on the event loop until then).
   */
  List<long[]> arrivals() {
    List<long[]> out = new ArrayList<>();
    synchronized (slots) {
      for (Slot s : slots) {
        long[] a = s.reader.stream(s.sentNanos, -1).arrivalNanos();
        for (int i = 0; i < a.length; i++) {
          a[i] += s.sentNanos;
        }
        out.add(a);
      }
    }
    return out;
  }

  /** Closes every connection (the gateways cancel their streams) and the client's event loops. */
  @Override
  public void close() {
    try {
      client.close().await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      problems.add("closing the client: " + e);
    } finally {
      try {
        vertx.close().await(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        problems.add("closing the client's Vert.x: " + e);
      }
    }
  }
}
