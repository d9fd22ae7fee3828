package dev.tokenbus.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** A gateway's {@code GET /v1/status} on loopback. */
public final class GatewayStatus {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private GatewayStatus() {}

  public static JsonObject read(int port) throws IOException, InterruptedException {
    return new JsonObject(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/status"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  /**
   * Waits until the gateway knows {@code count} workers.
   *
   * @param failure what went wrong when the wait is hopeless (a node process exited), or null
   */
  public static void awaitWorkers(int port, int count, Duration timeout, Supplier<String> failure) throws Exception {
    await(port, s -> s.getJsonArray("workers").size() >= count, count + " worker(s)", timeout, failure);
  }

  /**
   * Waits until the gateway's status passes {@code test}.
   *
   * @param what what the test waits for, for the timeout's message
   * @param failure what went wrong when the wait is hopeless (a node process exited), or null
   */
  public static void await(int port, java.util.function.Predicate<JsonObject> test, String what, Duration timeout,
      Supplier<String> failure) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String problem = failure.get();
      if (problem != null) {
        throw new IllegalStateException(problem);
      }
      try {
        if (test.test(read(port))) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100); // polling other nodes' start-up: there is nothing to be told by
    }
    throw new IllegalStateException(what + " did not become visible on port " + port + " within "
        + TimeUnit.NANOSECONDS.toSeconds(timeout.toNanos()) + " s");
  }
}
