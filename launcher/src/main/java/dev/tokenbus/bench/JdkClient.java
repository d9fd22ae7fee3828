package dev.tokenbus.bench;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The JDK's {@code java.net.http.HttpClient} over HTTP/1.1, either one pooled client or a client of
 * its own per request (made before the clock starts, closed after).
 */
final class JdkClient implements FirstTokenClient {

  private final URI uri;
  private final SseLoad.Dialect dialect;
  private final HttpClient pooled;

  /**
   * @param newConnections every request on a new connection: the connection's setup counts in TTFT,
   *     as for a new visitor
   */
  JdkClient(int port, SseLoad.Dialect dialect, boolean newConnections) {
    this.uri = URI.create("http://127.0.0.1:" + port + dialect.path());
    this.dialect = dialect;
    this.pooled = newConnections ? null : client();
  }

  /**
   * HTTP/1.1, as SSE clients (browsers, curl, the OpenAI SDKs over http://) speak it: the JDK's
   * default, HTTP/2, would ask a plain-text server to upgrade (h2c), which Vert.x accepts and
   * llama-server ignores, so the two would be measured over different protocols.
   */
  private static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public SseLoad.Stream stream(String body) throws Exception {
    if (pooled != null) {
      return stream(pooled, body);
    }
    try (HttpClient own = client()) {
      return stream(own, body);
    }
  }

  private SseLoad.Stream stream(HttpClient http, String body) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    long firstByte = System.nanoTime() - t0; // the head has arrived: the first byte came no later
    if (r.statusCode() == 429) {
      r.body().close();
      return new SseLoad.Stream(429, r.headers().firstValueAsLong("Retry-After").orElse(-1), t0, new long[0], -1,
          firstByte);
    }
    if (r.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body().readAllBytes()));
    }
    SseReader sse = new SseReader(dialect, t0);
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = r.body()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        sse.accept(buffer, 0, n, System.nanoTime());
      }
    }
    return sse.stream(t0, firstByte);
  }

  @Override
  public void close() {
    if (pooled != null) {
      pooled.close();
    }
  }
}
