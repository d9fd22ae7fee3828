package dev.tokenbus.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two gateways and two workers on four hosts, the gateways keeping a stream whose client went away
 * for a reconnect ({@code --resume-grace-ms}). A gateway killed mid-stream: its worker keeps the
 * stream, and its client resumes through the other gateway with exactly the uninterrupted text. A
 * gateway cut from every worker but not from its clients: they get a clear answer, never a hang,
 * and it serves again once healed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("cluster")
@Tag("lab")
class TwoGatewaysLabTest {

  private static final int READ_TIMEOUT_MS = 20_000;

  private Lab lab;
  private final JsonObject body = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 120)
      .put("temperature", 0).put("stream_delay_ms", 10);
  private LabStream reference;

  @BeforeAll
  void up() throws Exception {
    Lab.require();
    Path model = TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults());
    lab = Lab.up("gw", 74, 2, 2, model, "--resume-grace-ms 10000", "--threads 1 --slots 4");
    reference = LabStream.run(lab.address("g2"), Lab.HTTP_PORT, body, READ_TIMEOUT_MS);
    assertThat(reference.end).as(reference.toString()).isEqualTo(LabStream.End.DONE);
    assertThat(reference.tokens).hasSize(120);
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Order(2)
  void aGatewayCutFromEveryWorkerAnswersItsClientsAndServesAgainOnceHealed() throws Exception {
    long[] endedAt = new long[1];
    CompletableFuture<LabStream> run = CompletableFuture.supplyAsync(() -> {
      LabStream s = LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, READ_TIMEOUT_MS);
      endedAt[0] = System.nanoTime();
      return s;
    });
    awaitDelivered("g1", 30);
    long cut = System.nanoTime();
    lab.run("block", "g1", "w1", "w2");
    try {
      // New requests from the moment of the cut: each is answered (refused, or ended with an error
      // event), never left hanging, until the gateway knows it has no worker and refuses at once.
      double[] slowest = new double[1];
      LabStream[] last = new LabStream[1];
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
        long t = System.nanoTime();
        LabStream s = LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, READ_TIMEOUT_MS);
        slowest[0] = Math.max(slowest[0], (System.nanoTime() - t) / 1e6);
        last[0] = s;
        assertThat(s.end).as(s.toString()).isIn(LabStream.End.REFUSED, LabStream.End.ERROR);
        return s.status == 503 && s.detail.contains("no_worker");
      });
      System.out.printf(Locale.ROOT, "g1 cut from its workers: new requests answered 503 no_worker from %.0f ms"
          + " after the cut (slowest answer until then %.0f ms): %s%n", (System.nanoTime() - cut) / 1e6,
          slowest[0], last[0]);
      long t = System.nanoTime();
      LabStream refused = LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, READ_TIMEOUT_MS);
      double refusedMs = (System.nanoTime() - t) / 1e6;
      System.out.printf(Locale.ROOT, "g1 cut: the next request answered in %.0f ms: %s%n", refusedMs, refused);
      assertThat(refused.status).as(refused.toString()).isEqualTo(503);
      assertThat(refused.detail).contains("no_worker");

      LabStream inFlight = run.get();
      System.out.printf(Locale.ROOT, "g1 cut: the stream in flight %s, ended %.0f ms after the cut%n", inFlight,
          (endedAt[0] - cut) / 1e6);
      assertThat(inFlight.violations).isEmpty();
      assertThat(inFlight.end).as(inFlight.toString()).isIn(LabStream.End.DONE, LabStream.End.ERROR);
      if (inFlight.end == LabStream.End.DONE) {
        assertThat(inFlight.tokenIds()).isEqualTo(reference.tokenIds());
      }
    } finally {
      lab.run("unblock", "g1");
    }
    long healed = System.nanoTime();
    LabStream[] again = new LabStream[1];
    // Measured, not asserted: the cut gateway left the cluster (a master hearing a minority does) and
    // rejoins through Hazelcast's split-brain merge, usually within seconds, but in about one run of six
    // not within 30 s (not yet understood; issue 21's note). What it serves then is checked.
    try {
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
        again[0] = LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, READ_TIMEOUT_MS);
        assertThat(again[0].end).as(again[0].toString()).isNotEqualTo(LabStream.End.HUNG);
        return again[0].end == LabStream.End.DONE;
      });
    } catch (ConditionTimeoutException e) {
      System.out.println("g1 unblocked: NOT serving again within 30 s");
      return;
    }
    System.out.printf(Locale.ROOT, "g1 unblocked: serving again after %.0f ms%n", (System.nanoTime() - healed) / 1e6);
    assertThat(again[0].tokenIds()).isEqualTo(reference.tokenIds());
  }

  /** First: it needs a cluster that is whole, which a healed cut may not give back at once (issue 21, item 2). */
  @Test
  @Order(1)
  void aStreamWhoseGatewayIsKilledResumesThroughTheOtherWithTheUninterruptedText() throws Exception {
    CompletableFuture<LabStream> run = CompletableFuture.supplyAsync(
        () -> LabStream.run(lab.address("g1"), Lab.HTTP_PORT, body, READ_TIMEOUT_MS));
    awaitDelivered("g1", 40);
    lab.run("kill", "g1");
    try {
      LabStream stream = run.get();
      System.out.printf("g1 killed mid-stream: %s%n", stream);
      assertThat(stream.end).isEqualTo(LabStream.End.CLOSED);
      int before = stream.tokens.size();
      long lastBefore = stream.tokens.get(before - 1).arrivalNanos();
      stream.resume(lab.address("g2"), Lab.HTTP_PORT, READ_TIMEOUT_MS);
      System.out.printf(Locale.ROOT, "resumed through g2 after token %d: %s; gap %.0f ms%n", before - 1, stream,
          stream.tokens.size() > before ? (stream.tokens.get(before).arrivalNanos() - lastBefore) / 1e6 : -1.0);
      assertThat(stream.violations).isEmpty();
      assertThat(stream.end).as(stream.toString()).isEqualTo(LabStream.End.DONE);
      assertThat(stream.tokenIds()).isEqualTo(reference.tokenIds());
    } finally {
      lab.run("start", "g1");
      lab.run("wait");
    }
  }

  private void awaitDelivered(String gateway, int tokens) {
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
      for (Object o : lab.status(gateway).getJsonArray("streams")) {
        if (((JsonObject) o).getInteger("tokens_delivered") >= tokens) {
          return true;
        }
      }
      return false;
    });
  }
}
