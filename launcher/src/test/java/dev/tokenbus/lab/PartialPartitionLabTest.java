package dev.tokenbus.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two gateways and two workers, with a partial partition: one gateway cut from both workers but
 * not from the other gateway, then one worker cut from one gateway only. The members that still
 * reach each other stay one cluster: the other gateway keeps both workers, listed reachable and
 * serving throughout (a stream across the cut completes with its exact text), whichever node was
 * Hazelcast's master; the cut gateway answers 503 {@code no_worker}, never hangs; and once the
 * cable is back it serves again within 15 s.
 */
@Disabled("not reliable under load yet: with two lab classes at a time, the other gateway saw 1 of 2 workers during"
    + " the cut in 1 run of 7, and the cut gateway did not rejoin within 30 s in another; issue 21's note")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("cluster")
@Tag("lab")
class PartialPartitionLabTest {

  /** Longer than Hazelcast's max.no.heartbeat (5 s) and its partial-disconnection resolution. */
  private static final Duration BLOCK = Duration.ofSeconds(12);
  private static final Duration HEALING_BOUND = Duration.ofSeconds(15);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String PROMPT = "Once upon a time";
  private static final int TOKENS = 100;

  private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
  private Lab lab;
  /** The uninterrupted greedy text of {@link #PROMPT}. */
  private String reference;

  @BeforeAll
  void up() throws Exception {
    Lab.require();
    Path model = TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults());
    lab = Lab.up("part", 77, 2, 2, model, "--prefix-routing-slack -1", "--threads 1 --slots 4");
    LabStream ref = LabStream.run(lab.address("g2"), Lab.HTTP_PORT, body(TOKENS, 0), 20_000);
    assertThat(ref.end).as(ref.toString()).isEqualTo(LabStream.End.DONE);
    reference = ref.text();
  }

  @AfterAll
  void down() {
    clients.close();
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Order(1)
  void aGatewayCutFromEveryWorkerTakesNoCapacityFromTheOther() throws Exception {
    int[] logStart = {lab.logText("g2").length()};
    CompletableFuture<LabStream> across = streamOnceRunning("g2");
    long blockedAt = System.nanoTime();
    lab.run("block", "g1", "w1", "w2");
    int fewest = 2;
    try {
      // g2 lists both workers reachable through the whole block; g1 loses them.
      while (System.nanoTime() - blockedAt < BLOCK.toNanos()) {
        fewest = Math.min(fewest, lab.reachableWorkers("g2"));
        if (lab.status("g1").getJsonArray("workers").isEmpty()) {
          break;
        }
        Thread.sleep(100); // sampling g2 while g1 detects the cut, not a synchronisation
      }
      double lostS = (System.nanoTime() - blockedAt) / 1e9;
      assertThat(lab.status("g1").getJsonArray("workers")).as("g1 after %.1f s", lostS).isEmpty();
      assertNoWorker("g1");
      for (int i = 0; i < 4; i++) {
        LabStream s = LabStream.run(lab.address("g2"), Lab.HTTP_PORT, body(20, 0), 20_000);
        assertThat(s.end).as(s.toString()).isEqualTo(LabStream.End.DONE);
        assertThat(reference).startsWith(s.text());
      }
      while (System.nanoTime() - blockedAt < BLOCK.toNanos()) {
        fewest = Math.min(fewest, lab.reachableWorkers("g2"));
        Thread.sleep(100); // the partition lasts BLOCK; g2 is sampled meanwhile
      }
      System.out.printf("g1 cut from both workers for %d s: g1 without workers after %.1f s; g2 reachable workers"
          + " at least %d of 2 throughout%n", BLOCK.toSeconds(), lostS, fewest);
    } finally {
      lab.run("unblock", "g1");
    }
    long unblockedAt = System.nanoTime();
    LabStream s = across.get();
    System.out.println("stream on g2 across the cut: " + s);
    assertThat(s.end).as(s.toString()).isEqualTo(LabStream.End.DONE);
    assertThat(s.violations).isEmpty();
    assertThat(s.text()).isEqualTo(reference);
    assertThat(fewest).isEqualTo(2);
    assertThat(lab.logText("g2").substring(logStart[0])).doesNotContain("cluster member left: worker");
    // Measured, not asserted: g1 rejoins through Hazelcast's split-brain merge, usually 2-6 s after the
    // unblock, but in about one run of three it has not within 30 s (not yet understood).
    try {
      System.out.printf("g1 unblocked: serving again after %.1f s%n", servesAgain("g1", unblockedAt));
    } catch (ConditionTimeoutException e) {
      System.out.println("g1 unblocked: NOT serving again within 30 s");
    }
  }

  @Test
  @Disabled("which side Hazelcast drops depends on which node is master, and the gateways do not always list both"
      + " workers again within 15 s of the unblock (2 runs of 5); issue 21's note")
  @Order(2)
  void aWorkerCutFromOneGatewayLeavesTheClusterServingAndComesBack() throws Exception {
    CompletableFuture<LabStream> across = streamOnceRunning("g1");
    long blockedAt = System.nanoTime();
    lab.run("block", "w1", "g2");
    try {
      // Hazelcast keeps a fully connected cluster: g2 or w1 is dropped from it, nobody else.
      await().atMost(BLOCK).pollInterval(Duration.ofMillis(100))
          .until(() -> lab.workerStatusOf("g2", "w1") == null || lab.workerStatusOf("g1", "w1") == null);
      System.out.printf("w1 cut from g2: after %.1f s g1 lists %d reachable workers, g2 %d%n",
          (System.nanoTime() - blockedAt) / 1e9, lab.reachableWorkers("g1"), lab.reachableWorkers("g2"));
      for (String g : new String[] {"g1", "g2"}) {
        LabStream s = LabStream.run(lab.address(g), Lab.HTTP_PORT, body(20, 0), 20_000);
        System.out.println("new stream on " + g + " during the cut: " + s);
        assertThat(s.end).as(s.toString()).isIn(LabStream.End.DONE, LabStream.End.REFUSED, LabStream.End.ERROR);
        if (s.end == LabStream.End.DONE) {
          assertThat(reference).startsWith(s.text());
        } else {
          assertThat(s.detail).contains("no_worker");
        }
      }
      // Hazelcast drops one side of the cut (w1, or g2 with its view of w2): between them the gateways
      // keep two workers, once the membership has settled.
      await().atMost(BLOCK).pollInterval(Duration.ofMillis(100))
          .until(() -> lab.reachableWorkers("g1") + lab.reachableWorkers("g2") >= 2);
      while (System.nanoTime() - blockedAt < BLOCK.toNanos()) {
        Thread.sleep(100); // the partition lasts BLOCK
      }
    } finally {
      lab.run("unblock", "w1");
    }
    long unblockedAt = System.nanoTime();
    LabStream s = across.get();
    System.out.println("stream on g1 across the cut: " + s);
    assertThat(s.violations).isEmpty();
    if (s.end == LabStream.End.DONE) {
      assertThat(s.text()).isEqualTo(reference);
    } else {
      assertThat(s.end).as(s.toString()).isEqualTo(LabStream.End.ERROR);
    }
    try {
      await().atMost(HEALING_BOUND).pollInterval(Duration.ofMillis(100))
          .until(() -> lab.reachableWorkers("g1") == 2 && lab.reachableWorkers("g2") == 2);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("not healed " + HEALING_BOUND.toSeconds() + " s after the unblock: g1 workers "
          + lab.status("g1").getJsonArray("workers").encode() + ", g2 workers "
          + lab.status("g2").getJsonArray("workers").encode(), e);
    }
    double healedS = (System.nanoTime() - unblockedAt) / 1e9;
    double servedS = servesAgain("g2", unblockedAt);
    System.out.printf("w1 unblocked: both gateways list both workers after %.1f s, g2 serving after %.1f s%n",
        healedS, servedS);
  }

  private static JsonObject body(int tokens, int delayMs) {
    return new JsonObject().put("prompt", PROMPT).put("max_tokens", tokens).put("temperature", 0)
        .put("stream_delay_ms", delayMs);
  }

  /** Starts a slow stream on {@code gateway}; returns once it has delivered ten tokens. */
  private CompletableFuture<LabStream> streamOnceRunning(String gateway) {
    CompletableFuture<LabStream> run = CompletableFuture.supplyAsync(
        () -> LabStream.run(lab.address(gateway), Lab.HTTP_PORT, body(TOKENS, 150), 30_000), clients);
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
      for (Object o : lab.status(gateway).getJsonArray("streams")) {
        if (((JsonObject) o).getInteger("tokens_delivered") >= 10) {
          return true;
        }
      }
      return run.isDone();
    });
    return run;
  }

  /** A gateway without workers answers 503 no_worker at once, streamed or not. */
  private void assertNoWorker(String gateway) throws Exception {
    for (boolean stream : new boolean[] {false, true}) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(lab.url(gateway) + "/v1/completions"))
          .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("prompt", "Hi").put("max_tokens", 5)
              .put("stream", stream).encode())).build(), HttpResponse.BodyHandlers.ofString());
      double ms = (System.nanoTime() - t0) / 1e6;
      System.out.printf("%s without workers (stream %s): %d in %.0f ms%n", gateway, stream, r.statusCode(), ms);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
      assertThat(new JsonObject(r.body()).getJsonObject("error").getString("code")).isEqualTo("no_worker");
      assertThat(ms).isLessThan(2_000);
    }
  }

  /** Tries a short generation on {@code gateway} until one completes; answers the seconds since {@code since}. */
  private double servesAgain(String gateway, long since) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
      LabStream s = LabStream.run(lab.address(gateway), Lab.HTTP_PORT, body(5, 0), 5_000);
      assertThat(s.end).as(s.toString()).isNotEqualTo(LabStream.End.HUNG);
      return s.end == LabStream.End.DONE;
    });
    return (System.nanoTime() - since) / 1e9;
  }
}
