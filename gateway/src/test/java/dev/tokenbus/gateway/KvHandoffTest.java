package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import dev.tokenbus.worker.WorkerVerticle;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A draining worker hands its running streams to another worker with their KV cells: the client's
 * stream goes on with no repeated or missing token and the text of an uninterrupted run, the
 * adopting worker computes only the last token or so, and memory on both workers returns to idle.
 * Where no worker can adopt, the stream moves by replay as before. The handoff address refuses
 * what a worker must not take.
 */
@Tag("engine")
@Tag("cluster")
class KvHandoffTest {

  private static final int MAX_TOKENS = 100;
  private TestCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void start(int workers, int slots) throws Exception {
    EngineConfig engine = EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(slots)
        .withContextPerSequence(1024);
    cluster = TestCluster.start(workers, engine, GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
    // Every worker knows its model's hash (it adopts nothing before).
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.workers.stream()
        .allMatch(w -> w.status().stateFormat() != null));
  }

  private static String body(String prompt, String sampling, int delayMs) {
    return "{\"prompt\":\"" + prompt + "\",\"max_tokens\":" + MAX_TOKENS + ",\"stream_delay_ms\":" + delayMs + ","
        + sampling + "}";
  }

  private record Streamed(String text, JsonObject done, JsonObject error) {}

  private static Streamed read(Sse sse, Runnable after, int at) throws Exception {
    StringBuilder text = new StringBuilder();
    int n = 0;
    for (Sse.Event e = sse.next(); e != null; e = sse.next()) {
      switch (e.event()) {
        case "token" -> {
          assertThat(e.data().getInteger("index")).as("no gap, no repeat").isEqualTo(n);
          text.append(e.data().getString("text"));
          if (++n == at) {
            after.run();
          }
        }
        case "done" -> {
          return new Streamed(text.toString(), e.data(), null);
        }
        case "error" -> {
          return new Streamed(text.toString(), null, e.data());
        }
        default -> { }
      }
    }
    throw new AssertionError("the stream ended without done or error");
  }

  private Streamed uninterrupted(String prompt, String sampling) throws Exception {
    try (RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate", body(prompt, sampling, 0), 0)) {
      return read(client.sse(), () -> { }, -1);
    }
  }

  private int workerOf(int streams, java.util.function.Predicate<JsonObject> which) throws Exception {
    String[] endpoint = new String[1];
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      JsonArray all = cluster.status().getJsonArray("streams");
      endpoint[0] = null;
      if (all.size() == streams) {
        for (Object o : all) {
          JsonObject s = (JsonObject) o;
          if (which.test(s) && s.getString("worker") != null) {
            endpoint[0] = s.getString("worker");
          }
        }
      }
      return endpoint[0] != null;
    });
    for (int i = 0; i < cluster.workers.size(); i++) {
      if (cluster.workers.get(i).endpoint().equals(endpoint[0])) {
        return i;
      }
    }
    throw new AssertionError("no worker " + endpoint[0]);
  }

  private void assertAllIdle() {
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.engines.stream()
        .allMatch(e -> e.stats().active() == 0 && e.stats().kvCellsUsed() == 0));
  }

  @Test
  void aDrainedWorkersStreamsGoOnElsewhereWithTheirKvCellsAndTheSameText() throws Exception {
    start(2, 2);
    // Every sampler shape is checked on the engine (SequenceHandoffTest); here greedy and a seeded grammar.
    for (String sampling : List.of("\"temperature\":0",
        "\"temperature\":0.8,\"seed\":5,\"grammar\":\"root ::= [a-z ]+\"")) {
      String prompt = "handoff " + sampling.length();
      Streamed reference = uninterrupted(prompt, sampling);
      long hitsBefore = cluster.engines.stream().mapToLong(e -> e.stats().prefixHitTokens()).sum();
      AtomicReference<JsonObject> drained = new AtomicReference<>();
      int victim;
      try (RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate", body(prompt, sampling, 20), 0)) {
        victim = workerOf(1, s -> true);
        WorkerVerticle worker = cluster.workers.get(victim);
        Streamed moved = read(client.sse(), () -> drained.set(done(worker.drainNow("test"))), 30);
        assertThat(moved.error()).as("the stream completes").isNull();
        assertThat(moved.done().getString("finish_reason")).isEqualTo("length");
        assertThat(moved.done().getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(MAX_TOKENS);
        assertThat(moved.text()).as(sampling).isEqualTo(reference.text());
      }
      assertThat(drained.get().getInteger("handed_off")).as(drained.get().encode()).isEqualTo(1);
      LlamaEngine adopter = cluster.engines.get(1 - victim);
      long hits = cluster.engines.stream().mapToLong(e -> e.stats().prefixHitTokens()).sum() - hitsBefore;
      assertThat(hits).as("the adopter reused the prompt and the 30 tokens streamed before the drain")
          .isGreaterThanOrEqualTo(30);
      assertThat(adopter.stats().tokensGenerated()).isPositive();
      assertAllIdle();
      cluster.replaceWorker(victim);
      await().atMost(Duration.ofSeconds(20)).until(() -> cluster.workers.stream()
          .allMatch(w -> w.status().stateFormat() != null));
    }
  }

  @Test
  void withNoFreeSlotElsewhereTheStreamMovesByReplayWithoutADuplicate() throws Exception {
    start(2, 1);
    String sampling = "\"temperature\":0";
    Streamed reference = uninterrupted("replayed", sampling);
    try (RawHttp other = RawHttp.post(cluster.gateway.port(), "/v1/generate",
        "{\"prompt\":\"the other\",\"max_tokens\":60,\"stream_delay_ms\":20}", 0);
        RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate", body("replayed", sampling, 20), 0)) {
      int victim = workerOf(2, s -> true);
      victim = cluster.workers.get(victim).endpoint().equals(workerOfStreamWithPrompt()) ? victim : 1 - victim;
      WorkerVerticle worker = cluster.workers.get(victim);
      AtomicReference<JsonObject> drained = new AtomicReference<>();
      Streamed moved = read(client.sse(), () -> drained.set(done(worker.drainNow("test"))), 20);
      assertThat(moved.error()).isNull();
      assertThat(moved.text()).isEqualTo(reference.text());
      assertThat(drained.get().getInteger("replayed")).as(drained.get().encode()).isEqualTo(1);
      assertThat(drained.get().getInteger("handed_off")).isZero();
      read(other.sse(), () -> { }, -1);
    }
    assertAllIdle();
  }

  /**
   * A transfer that fails half-way (the receiver takes the offer, then fails the first chunk) ends
   * in a replay on the real other worker: the same text, no duplicate. The failing receiver is a
   * bare node that announces itself as a compatible worker with the most free slots, so that the
   * draining worker offers to it first; it serves no frames, so the gateway's OPEN to it finds no
   * handler and the stream goes to the real worker.
   */
  @Test
  void aTransferThatFailsHalfWayFallsBackToReplay() throws Exception {
    start(2, 2);
    String sampling = "\"temperature\":0.9,\"seed\":77";
    Streamed reference = uninterrupted("half way", sampling);
    ClusterNode fakeNode = cluster.startNode();
    try (RawHttp client = RawHttp.post(cluster.gateway.port(), "/v1/generate", body("half way", sampling, 20), 0)) {
      int victim = workerOf(1, s -> true);
      WorkerVerticle worker = cluster.workers.get(victim);
      String fake = "tokenbus.worker.fake-receiver";
      EventBus bus = fakeNode.vertx().eventBus();
      bus.<Object>consumer(Addresses.handoff(fake), m -> {
        if (m.body() instanceof JsonObject j && "offer".equals(j.getString("op"))) {
          m.reply(new JsonObject().put("transfer", "t1"));
        } else {
          m.fail(500, "the receiver failed");
        }
      }).completion().await(10, TimeUnit.SECONDS);
      dev.tokenbus.protocol.WorkerStatus real = worker.status();
      long[] sequence = {0};
      long timer = fakeNode.vertx().setPeriodic(50, id -> bus.publish(Addresses.WORKER_STATUS,
          new dev.tokenbus.protocol.WorkerStatus(fake, fakeNode.membership().nodeId(), real.model(), 8, 0, 0, 0, 0, 0,
              8192, real.contextPerSequence(), false, ++sequence[0], Set.of(), real.stateFormat()).toJson()));
      AtomicReference<JsonObject> drained = new AtomicReference<>();
      Streamed moved = read(client.sse(), () -> drained.set(done(worker.drainNow("test"))), 30);
      fakeNode.vertx().cancelTimer(timer);
      assertThat(moved.error()).as("the stream completes").isNull();
      assertThat(moved.text()).isEqualTo(reference.text());
      assertThat(drained.get().getInteger("replayed")).as(drained.get().encode()).isEqualTo(1);
      assertThat(drained.get().getJsonArray("streams").getJsonObject(0).getString("reason"))
          .contains("transfer to " + fake + " failed");
    } finally {
      fakeNode.close().await(30, TimeUnit.SECONDS);
    }
    assertAllIdle();
  }

  /** The worker of the stream whose prompt is "replayed" (the other one, long, holds the other worker's slot). */
  private String workerOfStreamWithPrompt() throws Exception {
    // Both streams run, one per worker: the newer one (opened second) is the stream under test.
    JsonArray all = cluster.status().getJsonArray("streams");
    JsonObject newest = null;
    for (Object o : all) {
      JsonObject s = (JsonObject) o;
      if (newest == null || s.getString("id").compareTo(newest.getString("id")) > 0) {
        newest = s;
      }
    }
    return newest.getString("worker");
  }

  @Test
  void theHandoffAddressRefusesWhatAWorkerMustNotTake() throws Exception {
    start(1, 2);
    WorkerVerticle worker = cluster.workers.get(0);
    String format = worker.status().stateFormat();
    ClusterNode peer = cluster.startNode();
    try {
      EventBus bus = peer.vertx().eventBus();
      String address = Addresses.handoff(worker.endpoint());
      JsonObject offer = new JsonObject().put("op", "offer").put("request_id", "x").put("model", "tiny")
          .put("state_format", format).put("tokens", new JsonArray(List.of(1, 2, 3))).put("seed", 1).put("bytes", 1000);
      List<JsonObject> bad = new ArrayList<>();
      bad.add(new JsonObject().put("op", "nonsense"));
      bad.add(new JsonObject());
      bad.add(offer.copy().put("model", "other"));
      bad.add(offer.copy().put("state_format", format + " but not"));
      bad.add(offer.copy().put("tokens", new JsonArray()));
      bad.add(offer.copy().put("tokens", new JsonArray(java.util.Collections.nCopies(5000, 1))));
      bad.add(offer.copy().put("tokens", new JsonArray(List.of("a", "b"))));
      bad.add(offer.copy().put("bytes", 1L << 40));
      bad.add(offer.copy().put("bytes", -5));
      bad.add(offer.copy().put("request_id", "r".repeat(10_000)));
      bad.add(offer.copy().remove("seed") == null ? offer : offer.copy().put("seed", "x"));
      bad.add(new JsonObject().put("op", "commit").put("transfer", "none"));
      for (JsonObject m : bad) {
        Throwable t = failure(bus.request(address, m, new DeliveryOptions().setSendTimeout(5000)));
        assertThat(t).as(m.encode().substring(0, Math.min(200, m.encode().length()))).isInstanceOf(ReplyException.class);
      }
      assertThat(failure(bus.request(address, Buffer.buffer("junk"), new DeliveryOptions().setSendTimeout(5000)
          .addHeader("transfer", "none").addHeader("offset", "0")))).isInstanceOf(ReplyException.class);

      // A transfer whose chunks skip ahead is dropped, and so is one committed short: slots come back.
      for (String how : List.of("skip", "short")) {
        JsonObject ok = done(bus.<JsonObject>request(address, offer.copy().put("request_id", how)).map(m -> m.body()));
        String transfer = ok.getString("transfer");
        // The decode thread publishes its stats with the reserved slot taken as soon as it wakes.
        await().atMost(Duration.ofSeconds(5)).until(() -> cluster.engines.get(0).stats().freeSlots() < 2);
        DeliveryOptions chunk = new DeliveryOptions().addHeader("transfer", transfer)
            .addHeader("offset", how.equals("skip") ? "10" : "0");
        if (how.equals("skip")) {
          assertThat(failure(bus.request(address, Buffer.buffer(new byte[10]), chunk))).isInstanceOf(ReplyException.class);
        } else {
          done(bus.request(address, Buffer.buffer(new byte[10]), chunk));
          assertThat(failure(bus.request(address, new JsonObject().put("op", "commit").put("transfer", transfer))))
              .isInstanceOf(ReplyException.class);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> cluster.engines.get(0).stats().freeSlots() == 2);
      }
      // A whole state of garbage is refused by llama.cpp; the slot comes back too.
      JsonObject ok = done(bus.<JsonObject>request(address, offer.copy().put("request_id", "garbage").put("bytes", 64))
          .map(m -> m.body()));
      done(bus.request(address, Buffer.buffer(new byte[64]), new DeliveryOptions()
          .addHeader("transfer", ok.getString("transfer")).addHeader("offset", "0")));
      assertThat(failure(bus.request(address, new JsonObject().put("op", "commit")
          .put("transfer", ok.getString("transfer"))))).isInstanceOf(ReplyException.class);
      await().atMost(Duration.ofSeconds(5)).until(() -> cluster.engines.get(0).stats().freeSlots() == 2);
      // The worker still serves.
      var r = cluster.post("/v1/generate", "{\"prompt\":\"still here\",\"max_tokens\":4,\"stream\":false}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    } finally {
      peer.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static <T> T done(io.vertx.core.Future<T> f) {
    try {
      return f.await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Throwable failure(io.vertx.core.Future<?> f) {
    try {
      f.await(30, TimeUnit.SECONDS);
      return null;
    } catch (Exception e) {
      return e;
    }
  }
}
