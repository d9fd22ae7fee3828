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

/**
 * Runs N concurrent SSE generations against a gateway and measures tokens/s, time to first token
 * and inter-token latency (the gaps between consecutive token events of one stream).
 */
final class SseLoad {

  /** One round: all streams' tokens over the wall time, each stream's TTFT, and every inter-token gap. */
  record Round(double tokensPerSecond, List<Double> ttftMs, List<Double> itlMs) {}

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
      List<Double> itl = new ArrayList<>();
      for (Future<long[]> f : results) {
        long[] arrivals = f.get();
        tokens += arrivals.length;
        if (arrivals.length > 0) {
          ttft.add(arrivals[0] / 1e6);
        }
        for (int i = 1; i < arrivals.length; i++) {
          itl.add((arrivals[i] - arrivals[i - 1]) / 1e6);
        }
      }
      return new Round(tokens * 1e9 / (System.nanoTime() - t0), ttft, itl);
    }
  }

  /** Returns the arrival time of every token event, in nanos from sending the request. */
  private long[] stream(String body) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(uri)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body().readAllBytes()));
    }
    long[] arrivals = new long[64];
    int count = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("event: token")) {
          if (count == arrivals.length) {
            arrivals = java.util.Arrays.copyOf(arrivals, count * 2);
          }
          arrivals[count++] = System.nanoTime() - t0;
        } else if (line.equals("event: error")) {
          throw new IllegalStateException("stream failed: " + in.readLine());
        }
      }
    }
    return java.util.Arrays.copyOf(arrivals, count);
  }
}
