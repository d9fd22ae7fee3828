package dev.tokenbus.model;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file server on 127.0.0.1 for the fetcher's tests: {@code Range: bytes=N-} with {@code If-Range} on an ETag, and
 * hooks that misbehave on purpose (cut or stall a body, ignore ranges, hold a response, redirect). Records every
 * request it gets.
 */
final class LoopbackModelServer implements AutoCloseable {
  private static final Pattern OPEN_RANGE = Pattern.compile("bytes=(\\d+)-");
  private static final int WRITE_CHUNK = 64 * 1024;

  /** What a request asked for. */
  record Request(String path, String range, String ifRange) {
  }

  private record File(byte[] content, String etag) {
  }

  private final HttpServer server;
  private final ExecutorService handlers = Executors.newCachedThreadPool();
  private final Map<String, File> files = new ConcurrentHashMap<>();
  private final Map<String, String> redirects = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final AtomicLong cutNextAfter = new AtomicLong(-1);
  private final AtomicLong stallNextAfter = new AtomicLong(-1);
  private final AtomicReference<CountDownLatch> holdBeforeHeaders = new AtomicReference<>();
  private final CountDownLatch closing = new CountDownLatch(1);
  private final AtomicInteger etagVersion = new AtomicInteger();
  private volatile boolean ignoreRanges;

  private LoopbackModelServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(handlers); // several at once: a stalled or held response must not block the next request
    server.createContext("/", this::handle);
    server.start();
  }

  static LoopbackModelServer start() throws IOException {
    return new LoopbackModelServer();
  }

  URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  /** Serves {@code content} at {@code path}, under a new ETag. */
  void serve(String path, byte[] content) {
    files.put(path, new File(content, "\"v" + etagVersion.incrementAndGet() + "\""));
  }

  void redirect(String from, String to) {
    redirects.put(from, to);
  }

  /** The next file response closes the connection after {@code bytes} bytes of its body. */
  void cutNextResponseAfter(long bytes) {
    cutNextAfter.set(bytes);
  }

  /** The next file response sends {@code bytes} bytes of its body, then nothing until the server closes. */
  void stallNextResponseAfter(long bytes) {
    stallNextAfter.set(bytes);
  }

  /** Answer 200 and the whole file to range requests, as a server without range support does. */
  void ignoreRanges(boolean ignore) {
    ignoreRanges = ignore;
  }

  /** File responses wait before their headers until the returned latch is counted down. */
  CountDownLatch holdResponses() {
    CountDownLatch hold = new CountDownLatch(1);
    holdBeforeHeaders.set(hold);
    return hold;
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  long requestsFor(String path) {
    return requests.stream().filter(r -> r.path().equals(path)).count();
  }

  @Override
  public void close() {
    closing.countDown();
    CountDownLatch hold = holdBeforeHeaders.get();
    if (hold != null) {
      hold.countDown();
    }
    server.stop(0);
    handlers.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String range = exchange.getRequestHeaders().getFirst("Range");
      String ifRange = exchange.getRequestHeaders().getFirst("If-Range");
      requests.add(new Request(path, range, ifRange));
      String target = redirects.get(path);
      if (target != null) {
        exchange.getResponseHeaders().set("Location", target);
        exchange.sendResponseHeaders(302, -1);
        return;
      }
      File file = files.get(path);
      if (file == null) {
        byte[] body = "no such file\n".getBytes();
        exchange.sendResponseHeaders(404, body.length);
        exchange.getResponseBody().write(body);
        return;
      }
      awaitHold();
      sendFile(exchange, file, range, ifRange);
    }
  }

  private void sendFile(HttpExchange exchange, File file, String range, String ifRange) throws IOException {
    long length = file.content().length;
    long start = 0;
    int status = 200;
    Matcher m = range == null ? null : OPEN_RANGE.matcher(range);
    boolean honourRange = m != null && m.matches() && !ignoreRanges && (ifRange == null || ifRange.equals(file.etag()));
    if (honourRange) {
      start = Long.parseLong(m.group(1));
      if (start >= length) {
        exchange.getResponseHeaders().set("Content-Range", "bytes */" + length);
        exchange.sendResponseHeaders(416, -1);
        return;
      }
      status = 206;
      exchange.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (length - 1) + "/" + length);
    }
    exchange.getResponseHeaders().set("ETag", file.etag());
    exchange.getResponseHeaders().set("Accept-Ranges", "bytes");
    exchange.sendResponseHeaders(status, length - start);
    long cut = cutNextAfter.getAndSet(-1);
    long stall = stallNextAfter.getAndSet(-1);
    long end = cut >= 0 ? Math.min(length, start + cut) : stall >= 0 ? Math.min(length, start + stall) : length;
    OutputStream body = exchange.getResponseBody();
    for (long at = start; at < end; at += WRITE_CHUNK) {
      body.write(file.content(), (int) at, (int) Math.min(WRITE_CHUNK, end - at));
    }
    body.flush();
    if (stall >= 0) {
      awaitQuietly(closing);
    }
    // Closing the exchange with bytes still owed closes the connection: the client sees the body end early.
  }

  private void awaitHold() {
    CountDownLatch hold = holdBeforeHeaders.get();
    if (hold != null) {
      awaitQuietly(hold);
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
