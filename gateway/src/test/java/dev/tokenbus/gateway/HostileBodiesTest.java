package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Over a thousand malformed and hostile bodies, several at a time: the gateway answers every one
 * with a client error or a stream, never a server error or silence, and its worker ends up idle.
 */
@Tag("engine")
@Tag("cluster")
class HostileBodiesTest {

  /** Fixed so that a failure replays; {@code -Dtokenbus.fuzz.seed=N} explores other bodies. */
  private static final long SEED = Long.getLong("tokenbus.fuzz.seed", 20_250_601L);
  private static final int REQUESTS = 2000;
  private static final int IN_FLIGHT = 8;
  private static final Duration DEADLINE = Duration.ofSeconds(15);

  private static TestCluster cluster;
  private static ExecutorService readers;

  /** What came back for one body: a status, or the transport failure in its place. */
  private record Outcome(FuzzBodies.Body body, int status, String problem) {}

  @BeforeAll
  static void start() throws Exception {
    // More slots than requests in flight: a 200 holds its slot until the worker sees the cancel, and a
    // full worker would answer 503 by design, which is not what this test is after.
    cluster = TestCluster.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(24)
        .withContextPerSequence(1024));
    readers = Executors.newFixedThreadPool(IN_FLIGHT);
  }

  @AfterAll
  static void stop() {
    if (readers != null) {
      readers.shutdownNow();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void hostileBodiesGetClientErrorsOrStreamsAndTheWorkerRecovers() throws Exception {
    FuzzBodies bodies = new FuzzBodies(SEED);
    Semaphore permits = new Semaphore(IN_FLIGHT);
    List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    int skipped = 0;
    long t0 = System.nanoTime();
    for (int sent = 0; sent < REQUESTS; ) {
      FuzzBodies.Body body = bodies.next();
      if (FuzzBodies.slowUnstreamed(body.bytes())) {
        skipped++; // its answer would legitimately come after the deadline
        continue;
      }
      assertThat(permits.tryAcquire(30, TimeUnit.SECONDS)).as("a request slot frees up").isTrue();
      send(body).whenComplete((o, err) -> {
        outcomes.add(err == null ? o : new Outcome(body, -1, err.toString()));
        permits.release();
      });
      sent++;
    }
    assertThat(permits.tryAcquire(IN_FLIGHT, 60, TimeUnit.SECONDS)).as("every request answered").isTrue();
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

    Map<Integer, Integer> statuses = new TreeMap<>();
    Map<String, Map<Integer, Integer>> byKind = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (Outcome o : outcomes) {
      statuses.merge(o.status(), 1, Integer::sum);
      byKind.computeIfAbsent(o.body().kind().name(), k -> new TreeMap<>()).merge(o.status(), 1, Integer::sum);
      if (o.status() >= 500 || o.status() < 0 || o.problem() != null) {
        problems.add(o.status() + " " + o.problem() + " for " + o.body().preview());
      }
    }
    System.out.printf("hostile bodies (seed %d): %d sent (skipped: %d slow unstreamed) in"
        + " %d ms; statuses %s; engine generated %d tokens%n", SEED, outcomes.size(), skipped, elapsedMs,
        statuses, cluster.engines.getFirst().stats().tokensGenerated());
    byKind.forEach((kind, h) -> System.out.printf("  %-10s %s%n", kind, h));

    assertThat(outcomes).hasSize(REQUESTS);
    assertThat(problems).as("server errors, timeouts, transport failures, bad envelopes").isEmpty();
    assertThat(statuses.keySet()).as("some bodies were accepted and some refused").contains(200, 400);

    // Every 200 was a stream closed at once: each generation must have been cancelled.
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.engines.getFirst().stats().active() == 0);
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.status().getJsonArray("streams").isEmpty());
    assertNormalRequestStreams();
  }

  /**
   * A valid request: top_logprobs may exceed top_k (both are in range). On its own cluster, because
   * today it ends the worker's decode loop for good: the sampler gets top_logprobs candidates where
   * it has room for top_k, and every later request on that worker hangs or gets 503.
   */
  @Test
  void moreTopLogprobsThanTopKLeavesTheWorkerServing() throws Exception {
    try (TestCluster own = TestCluster.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(256))) {
      HttpResponse<String> r = own.post("/v1/generate",
          "{\"prompt\":\"hello\",\"top_k\":5,\"top_logprobs\":10,\"max_tokens\":4,\"stream\":false}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonObject answer = new JsonObject(r.body());
      assertThat(answer.getString("finish_reason")).as(r.body()).isEqualTo("length");
      assertThat(answer.getJsonArray("tokens")).hasSize(4);
      assertThat(answer.getJsonArray("tokens").getJsonObject(0).getJsonArray("top_logprobs")).hasSize(10);

      HttpResponse<String> after = own.post("/v1/generate", "{\"prompt\":\"hello\",\"max_tokens\":4,\"stream\":false}");
      assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> own.engines.getFirst().stats().active() == 0);
    }
  }

  /**
   * Sends one body. A 200 is a live stream (or a finished answer) and is closed at once, which
   * cancels its generation; any other status's small body is read: the error envelope is checked,
   * and a server error's message goes into the report.
   */
  private static CompletableFuture<Outcome> send(FuzzBodies.Body body) {
    // HTTP/1.1, so that closing a stream closes its connection: a real disconnect. Over h2c (the
    // client's default) it would reset one stream of a shared connection, and past 200 resets in 30 s
    // Vert.x's rapid-reset guard closes that connection with every other request on it.
    HttpRequest request = HttpRequest.newBuilder(cluster.uri("/v1/generate")).version(HttpClient.Version.HTTP_1_1)
        .timeout(DEADLINE).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build();
    return cluster.http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream())
        .thenApplyAsync(r -> outcome(body, r), readers)
        .orTimeout(DEADLINE.toSeconds() + 5, TimeUnit.SECONDS);
  }

  private static Outcome outcome(FuzzBodies.Body body, HttpResponse<InputStream> r) {
    int status = r.statusCode();
    try (InputStream in = r.body()) {
      if (status == 200) {
        return new Outcome(body, status, null);
      }
      String text = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
      return new Outcome(body, status, status >= 500 ? text : envelopeProblem(r, text));
    } catch (Exception e) {
      return new Outcome(body, status, "reading the error body: " + e);
    }
  }

  /** Null when {@code text} is the documented error envelope, else what is wrong with it. */
  private static String envelopeProblem(HttpResponse<?> r, String text) {
    if (!r.headers().firstValue("content-type").orElse("").startsWith("application/json")) {
      return "content type " + r.headers().firstValue("content-type");
    }
    try {
      JsonObject error = new JsonObject(text).getJsonObject("error");
      if (error == null || error.getString("message") == null || error.getString("type") == null
          || !error.containsKey("param") || !error.containsKey("code")) {
        return "not the error envelope: " + text;
      }
      return null;
    } catch (RuntimeException e) {
      return "not JSON: " + text;
    }
  }

  private static void assertNormalRequestStreams() throws Exception {
    HttpResponse<InputStream> r = cluster.http.send(HttpRequest.newBuilder(cluster.uri("/v1/generate"))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(
            "{\"prompt\":\"after the storm\",\"max_tokens\":24,\"temperature\":0}")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (var in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      assertThat(r.statusCode()).isEqualTo(200);
      List<Sse.Event> events = new Sse(in).all();
      assertThat(events.stream().filter(e -> "token".equals(e.event()))).hasSize(24);
      assertThat(events.getLast().event()).isEqualTo("done");
      assertThat(events.getLast().data().getString("finish_reason")).isEqualTo("length");
    }
  }
}
