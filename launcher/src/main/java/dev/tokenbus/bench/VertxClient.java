package dev.tokenbus.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Vert.x's HTTP client over HTTP/1.1, a client of its own per request (made before the clock starts,
 * closed after), on a {@link Vertx} of the benchmark's own: the bytes are read on its event loop,
 * the calling thread waits for the end.
 */
final class VertxClient implements FirstTokenClient {

  private static final long TIMEOUT_SECONDS = 120;

  private final Vertx vertx;
  private final int port;
  private final SseLoad.Dialect dialect;

  VertxClient(Vertx vertx, int port, SseLoad.Dialect dialect) {
    this.vertx = vertx;
    this.port = port;
    this.dialect = dialect;
  }

  @Override
  public SseLoad.Stream stream(String body) throws Exception {
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000));
    try {
      Buffer content = Buffer.buffer(body);
      RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
          .setURI(dialect.path()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
      CompletableFuture<SseLoad.Stream> done = new CompletableFuture<>();
      long t0 = System.nanoTime();
      client.request(request).compose(r -> r.send(content)).onFailure(done::completeExceptionally).onSuccess(r -> {
        long firstByte = System.nanoTime() - t0; // the head has arrived: the first byte came no later
        if (r.statusCode() == 429) {
          String retry = r.getHeader("Retry-After");
          done.complete(new SseLoad.Stream(429, retry == null ? -1 : Long.parseLong(retry), t0, new long[0], -1,
              firstByte));
          return;
        }
        if (r.statusCode() != 200) {
          r.body().onComplete(b -> done.completeExceptionally(new IllegalStateException("HTTP " + r.statusCode()
              + ": " + (b.succeeded() ? b.result().toString() : b.cause()))));
          return;
        }
        SseReader sse = new SseReader(dialect, t0);
        r.handler(buffer -> {
          long now = System.nanoTime();
          try {
            byte[] bytes = buffer.getBytes();
            sse.accept(bytes, 0, bytes.length, now);
          } catch (RuntimeException e) {
            done.completeExceptionally(e);
          }
        });
        r.exceptionHandler(done::completeExceptionally);
        r.endHandler(v -> done.complete(sse.stream(t0, firstByte)));
      });
      return done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } finally {
      client.close().await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
  }
}
