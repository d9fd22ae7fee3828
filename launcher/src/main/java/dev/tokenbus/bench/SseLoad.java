package dev.tokenbus.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Runs N concurrent SSE generations against a gateway and measures tokens/s and time to first token. */
final class SseLoad {

  /** One round: all streams' tokens over the wall time, and each stream's time to first token. */
  record Round(double tokensPerSecond, List<Double> ttftMs) {}

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI uri;

  SseLoad(int port) {
    this.uri = URI.create("http://127.0.0.1:" + port + "/v1/generate");
  }

  Round run(int concurrency, String body) throws Exception {
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      long t0 = System.nanoTime();
      List<Future<long[]>> results = new ArrayList<>();
      for (int i = 0; i < concurrency; i++) {
        results.add(pool.submit(() -> stream(body)));
      }
      long tokens = 0;
      List<Double> ttft = new ArrayList<>();
      for (Future<long[]> f : results) {
        long[] r = f.get();
        tokens += r[0];
        ttft.add(r[1] / 1e6);
      }
      return new Round(tokens * 1e9 / (System.nanoTime() - t0), ttft);
    }
  }

  /** Returns {tokens, nanos to the first token}. */
  private long[] stream(String body) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(uri)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body().readAllBytes()));
    }
    long tokens = 0;
    long first = -1;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("event: token")) {
          if (first < 0) {
            first = System.nanoTime() - t0;
          }
          tokens++;
        } else if (line.equals("event: error")) {
          throw new IllegalStateException("stream failed: " + in.readLine());
        }
      }
    }
    return new long[] {tokens, first};
  }
}
