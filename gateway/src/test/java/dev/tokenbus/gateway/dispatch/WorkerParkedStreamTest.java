package dev.tokenbus.gateway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.AcceptFrame;
import dev.tokenbus.protocol.frame.EndFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.FrameBatch;
import dev.tokenbus.protocol.frame.FrameCodec;
import dev.tokenbus.protocol.frame.OpenFrame;
import dev.tokenbus.protocol.frame.TokensFrame;
import dev.tokenbus.testing.RawHttp;
import dev.tokenbus.testing.Sse;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import dev.tokenbus.worker.WorkerVerticle;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A resumable stream whose gateway vanishes (its node leaves; its address answers no more) is
 * kept by its worker: paused for the grace period its OPEN named, and given to its owner's claim
 * through any other gateway, which resumes it with the text of an uninterrupted run; another API
 * key's claim gets the very 404 an unknown id gets. Not claimed in time, it is cancelled; a stream
 * that is not resumable is cancelled at once. The vanishing gateway is played by hand on a node of
 * its own (a real gateway shuts down gracefully and cancels its streams); the worker, its engine
 * and the resuming gateway are real.
 */
@Tag("engine")
@Tag("cluster")
class WorkerParkedStreamTest {

  private static final int MAX_TOKENS = 60;
  /** The hand-played gateway grants no credit: the worker sends this many tokens (one more at most) and pauses. */
  private static final int WINDOW = 12;
  private static final StreamOwner A = StreamOwner.ofApiKey("sk-tenant-a");
  private static TestCluster cluster;
  private static WorkerVerticle worker;
  private static LlamaEngine engine;
  private static List<TokenData> reference;
  private final List<HandGateway> hands = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    GatewayOptions keys = GatewayOptions.defaults().withApiKeys(Set.of("sk-tenant-a", "sk-tenant-b"));
    cluster = TestCluster.gatewayOnly(keys, DispatchOptions.defaults().withResumeGraceMs(60_000));
    cluster.addWorker(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(1024), WorkerOptions.defaults("tiny"));
    worker = cluster.workers.getFirst();
    engine = cluster.engine();
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.gateway.dispatcher().registry().all().size() == 1);
    try (HandGateway whole = HandGateway.start()) {
      whole.open("reference-0", MAX_TOKENS + 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> whole.end != null);
      reference = whole.tokens();
    }
    assertThat(reference).hasSize(MAX_TOKENS);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void closeHands() {
    hands.forEach(HandGateway::close);
  }

  @Test
  void aStreamWhoseGatewayVanishesIsKeptByItsWorkerAndResumedElsewhereByItsOwnerOnly() throws Exception {
    String sid = "parked-1-" + UUID.randomUUID();
    HandGateway gone = hand();
    gone.open(sid, WINDOW, new OpenFrame.Resumable(A.wire(), 60_000));
    await().atMost(Duration.ofSeconds(10)).until(() -> gone.tokens().size() >= WINDOW);
    gone.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.parkedStreams() == 1);
    assertThat(engine.stats().active()).as("the parked stream holds its slot").isEqualTo(1);
    List<TokenData> before = gone.tokens();
    int last = before.size() - 1;

    // Another key: exactly what an id never issued gets; the stream stays parked.
    String unknown = "parked-9-" + UUID.randomUUID();
    JsonObject refused = resume("sk-tenant-b", sid, last, 404);
    JsonObject control = resume("sk-tenant-b", unknown, last, 404);
    assertThat(refused.encode()).isEqualTo(control.encode().replace(unknown, sid));
    assertThat(refused.getJsonObject("error").getString("code")).isEqualTo("stream_not_found");
    assertThat(worker.parkedStreams()).isEqualTo(1);

    // Its owner: the rest of the stream, through the gateway, as if nothing had happened.
    List<TokenData> after = new ArrayList<>();
    try (RawHttp again = RawHttp.post(cluster.gateway.port(), "/v1/generate", "", 0, Map.of(
        "Authorization", "Bearer sk-tenant-a", "X-Tokenbus-Stream-Id", sid, "Last-Event-ID", Integer.toString(last)))) {
      assertThat(again.status).isEqualTo(200);
      Sse sse = again.sse();
      for (Sse.Event e = sse.next(); e != null && !"done".equals(e.event()); e = sse.next()) {
        assertThat(e.event()).as("%s", e).isEqualTo("token");
        assertThat(e.id()).as("no gap, no repeat").isEqualTo(Integer.toString(last + 1 + after.size()));
        after.add(new TokenData(e.data().getInteger("index"), e.data().getString("text"),
            e.data().getInteger("token_id"), 0, List.of(), false, null));
      }
    }
    assertThat(text(before) + text(after)).isEqualTo(text(reference));
    assertThat(ids(before.subList(0, last + 1))).isEqualTo(ids(reference.subList(0, last + 1)));
    assertThat(worker.parkedStreams()).isZero();
    cluster.awaitIdle(Duration.ofSeconds(10));
  }

  @Test
  void aParkedStreamNotResumedWithinItsGraceIsCancelled() throws Exception {
    String sid = "parked-2-" + UUID.randomUUID();
    HandGateway gone = hand();
    // A grace of 2 s: the parked state must be seen between two polls even on a loaded machine
    // (with 500 ms, a CI run's polls once missed it entirely).
    gone.open(sid, WINDOW, new OpenFrame.Resumable(A.wire(), 2_000));
    await().atMost(Duration.ofSeconds(10)).until(() -> gone.tokens().size() >= WINDOW);
    gone.close();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> worker.parkedStreams() == 1);
    long parkedAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.parkedStreams() == 0 && engine.stats().active() == 0);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - parkedAt)).as("kept for its grace").isGreaterThan(1_000);
    resume("sk-tenant-a", sid, WINDOW - 1, 404);
  }

  @Test
  void aStreamThatIsNotResumableIsCancelledWhenItsGatewayVanishes() throws Exception {
    HandGateway gone = hand();
    gone.open("plain-3-" + UUID.randomUUID(), WINDOW, null);
    await().atMost(Duration.ofSeconds(10)).until(() -> gone.tokens().size() >= WINDOW);
    gone.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.stats().active() == 0);
    assertThat(worker.parkedStreams()).isZero();
  }

  private HandGateway hand() throws Exception {
    HandGateway h = HandGateway.start();
    hands.add(h);
    return h;
  }

  /** A resume of {@code sid} after token {@code last} with API key {@code key}, refused with {@code status}: the error body. */
  private static JsonObject resume(String key, String sid, int last, int status) throws Exception {
    try (RawHttp r = RawHttp.post(cluster.gateway.port(), "/v1/generate", "", 0, Map.of("Authorization",
        "Bearer " + key, "X-Tokenbus-Stream-Id", sid, "Last-Event-ID", Integer.toString(last)))) {
      assertThat(r.status).isEqualTo(status);
      return r.json();
    }
  }

  private static String text(List<TokenData> tokens) {
    return tokens.stream().map(TokenData::text).collect(Collectors.joining());
  }

  private static List<Integer> ids(List<TokenData> tokens) {
    return tokens.stream().map(TokenData::tokenId).toList();
  }

  /**
   * A gateway played by hand on a node of its own: it opens one stream on the worker with the
   * request a gateway would send, grants no credit, and collects what arrives. Closing it closes
   * its node: the gateway is gone.
   */
  private static final class HandGateway implements AutoCloseable {
    private final ClusterNode node;
    private final String endpoint = "test.hand-gateway." + UUID.randomUUID();
    private final List<TokenData> tokens = Collections.synchronizedList(new ArrayList<>());
    volatile EndFrame end;
    private boolean closed;

    private HandGateway(ClusterNode node) {
      this.node = node;
    }

    static HandGateway start() throws Exception {
      HandGateway h = new HandGateway(cluster.startNode());
      EventBus bus = h.node.vertx().eventBus();
      FrameCodec.register(bus);
      bus.<Object>consumer(h.endpoint, m -> FrameBatch.forEach(m.body(), h::onFrame)).completion().await(10, TimeUnit.SECONDS);
      return h;
    }

    private void onFrame(Frame f) {
      switch (f) {
        case TokensFrame t -> tokens.addAll(t.tokens());
        case EndFrame e -> end = e;
        default -> { }
      }
    }

    /** Opens stream {@code sid} (greedy, {@value #MAX_TOKENS} tokens) with window {@code window}. */
    void open(String sid, int window, OpenFrame.Resumable resumable) {
      GenerationRequest request = new GenerationRequest(sid, "The worker keeps it", StreamConfig.defaults()
          .withMaxTokens(MAX_TOKENS).withTemperature(0).withSeed(11L));
      OpenFrame open = new OpenFrame(sid, endpoint, node.membership().nodeId(), window, request, List.of(), resumable);
      // A node that joined a moment ago may not see the worker's address yet.
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> node.vertx().eventBus()
          .<Frame>request(worker.endpoint(), open, FrameCodec.options().setSendTimeout(5000))
          .await(10, TimeUnit.SECONDS).body() instanceof AcceptFrame);
    }

    List<TokenData> tokens() {
      synchronized (tokens) {
        return List.copyOf(tokens);
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        node.close().toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
      }
    }
  }
}
