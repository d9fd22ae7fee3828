package dev.tokenbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The client against a real gateway and worker (the generated tiny model): streams over both
 * transports, backpressure that reaches the worker's decode loop, cancel, typed errors, timeouts
 * and the Reactive Streams adapter. The gateway keeps streams for a reconnect (resume-grace-ms),
 * so an SSE cancel must reach it explicitly rather than by closing the connection.
 */
@Tag("cluster")
class TokenStreamTest {

  private static final int WINDOW = 8;
  private static TestCluster nodes;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    nodes = TestCluster.gateways(1, 10_000, 2, 4096, GatewayOptions.defaults().withSmallBuffers(4096));
  }

  @AfterAll
  static void stop() {
    if (nodes != null) {
      nodes.close();
    }
  }

  @AfterEach
  void everySlotIsFree() {
    await().atMost(Duration.ofSeconds(15)).until(() -> nodes.engine().stats().active() == 0);
  }

  private static Tokenbus client(Transport transport) {
    return Tokenbus.create(TokenbusOptions.of(nodes.url(0)).withTransport(transport));
  }

  private static StreamConfig greedy(int maxTokens) {
    return StreamConfig.builder().temperature(0).maxTokens(maxTokens).build();
  }

  /** Reads the whole stream with next(); checks indices and the single final token. */
  private static List<TokenData> readAll(TokenStream s) throws InterruptedException {
    List<TokenData> out = new ArrayList<>();
    while (!s.isFinished()) {
      TokenData t = s.next();
      assertThat(t.index()).isEqualTo(out.size());
      out.add(t);
    }
    assertThat(out.getLast().isFinal()).isTrue();
    assertThat(out.subList(0, out.size() - 1)).noneMatch(TokenData::isFinal);
    return out;
  }

  private static String text(List<TokenData> tokens) {
    StringBuilder sb = new StringBuilder();
    tokens.forEach(t -> sb.append(t.text()));
    return sb.toString();
  }

  private static JsonObject status() throws Exception {
    return new JsonObject(HTTP.send(HttpRequest.newBuilder(URI.create(nodes.url(0) + "/v1/status")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  @Test
  void bothTransportsStreamTheSameGreedyTextWithASummary() throws Exception {
    String ws;
    String sse;
    try (Tokenbus c = client(Transport.WEBSOCKET)) {
      TokenStream s = c.generate("Once upon a time", greedy(40));
      List<TokenData> tokens = readAll(s);
      assertThat(tokens).hasSize(40);
      assertThat(tokens.getLast().finishReason()).isEqualTo(FinishReason.LENGTH);
      assertThat(s.tokensGenerated()).isEqualTo(40);
      assertThat(s.config().maxTokens()).isEqualTo(40);
      StreamSummary summary = s.result().await(10, TimeUnit.SECONDS);
      assertThat(summary.completionTokens()).isEqualTo(40);
      assertThat(summary.promptTokens()).isPositive();
      assertThat(summary.finishReason()).isEqualTo(FinishReason.LENGTH);
      assertThatThrownBy(s::next).isInstanceOf(NoSuchElementException.class);
      ws = text(tokens);
    }
    try (Tokenbus c = client(Transport.SSE)) {
      TokenStream s = c.generate("Once upon a time", greedy(40));
      sse = text(readAll(s));
      assertThat(s.result().await(10, TimeUnit.SECONDS).completionTokens()).isEqualTo(40);
    }
    assertThat(ws).isNotEmpty().isEqualTo(sse);
  }

  @Test
  void aStopSequenceEndsTheTextBeforeItsMatch() throws Exception {
    try (Tokenbus c = client(Transport.WEBSOCKET)) {
      String full = text(readAll(c.generate("stop here", greedy(60))));
      assertThat(full.length()).isGreaterThan(30);
      String stop = full.substring(20, 24);
      List<TokenData> tokens = readAll(c.generate("stop here", StreamConfig.builder().temperature(0).maxTokens(60)
          .stopSequences(stop).build()));
      assertThat(tokens.getLast().finishReason()).isEqualTo(FinishReason.STOP);
      assertThat(text(tokens)).isEqualTo(full.substring(0, full.indexOf(stop)));
    }
  }

  @Test
  void chatMessagesAndLogprobsGoThrough() throws Exception {
    try (Tokenbus c = client(Transport.WEBSOCKET)) {
      List<TokenData> tokens = readAll(c.chat(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")),
          StreamConfig.builder().maxTokens(5).topLogprobs(3).seed(7L).build()));
      assertThat(tokens).hasSize(5).allSatisfy(t -> {
        assertThat(t.topLogprobs()).hasSize(3);
        assertThat(t.logprob()).isLessThanOrEqualTo(0.0);
      });
    }
  }

  /**
   * Over one WebSocket, a stream that is not read stops its own generation inside the worker,
   * within the windows (the client's and the worker's), while another stream on the same socket
   * runs to its end: the pause is per generation (credit), not the socket's.
   */
  @Test
  void anUnreadStreamStopsItsWorkerSequenceAndOnlyItsOwn() throws Exception {
    try (Tokenbus c = client(Transport.WEBSOCKET)) {
      long before = nodes.engine().stats().tokensGenerated();
      TokenStream stalled = c.generate("stop reading me", StreamConfig.builder().temperature(0).maxTokens(5000)
          .bufferSize(WINDOW).build());
      for (int i = 0; i < 3; i++) {
        stalled.next();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> nodes.engine().stats().paused() == 1);
      long paused = nodes.engine().stats().tokensGenerated();
      // What the worker is ahead of the consumer: the client's window plus the gateway's (the
      // worker's credit), and the one token a decode step may produce after its check.
      System.out.printf("WebSocket: consumer took 3, worker generated %d and paused, client received %d%n",
          paused - before, stalled.tokensGenerated());
      assertThat(paused - before - 3).isLessThanOrEqualTo(2L * WINDOW + 1);
      assertThat(stalled.tokensGenerated()).isLessThanOrEqualTo(3 + WINDOW);
      JsonObject streamStatus = status().getJsonArray("streams").getJsonObject(0);
      assertThat(streamStatus.getString("state")).isEqualTo("paused");

      // Another generation on the same socket runs to its end meanwhile.
      List<TokenData> other = readAll(c.generate("meanwhile", greedy(60)));
      assertThat(other).hasSize(60);
      // The engine's stats are a snapshot published after each step: wait for the other stream's last one.
      await().atMost(Duration.ofSeconds(10)).until(() -> nodes.engine().stats().tokensGenerated() - paused >= 60);
      assertThat(nodes.engine().stats().tokensGenerated() - paused).as("only the other stream generated")
          .isEqualTo(60);

      // Reading again resumes the stalled one where it stopped.
      int next = 3;
      for (int i = 0; i < 30; i++) {
        assertThat(stalled.next().index()).isEqualTo(next++);
      }
      stalled.cancel();
    }
  }

  /**
   * Over SSE the same holds through TCP: an unread stream's connection is not read and its sequence
   * pauses, well before it could reach the end of its context.
   */
  @Test
  void anUnreadSseStreamPausesItsSequence() throws Exception {
    try (Tokenbus c = client(Transport.SSE)) {
      long before = nodes.engine().stats().tokensGenerated();
      TokenStream stalled = c.generate("stop reading me too", StreamConfig.builder().temperature(0)
          .maxTokens(1_000_000).bufferSize(WINDOW).timeoutMs(0).build());
      stalled.next();
      // Socket buffers fill first (the gateway's are small here, the kernel's are not), then the
      // worker's count stops: the same at two polls a second apart.
      AtomicLong last = new AtomicLong(-1);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        long now = nodes.engine().stats().tokensGenerated();
        return now == last.getAndSet(now) && nodes.engine().stats().paused() == 1;
      });
      System.out.printf("SSE: consumer took 1, worker generated %d and paused, client received %d%n",
          nodes.engine().stats().tokensGenerated() - before, stalled.tokensGenerated());
      assertThat(stalled.tokensGenerated()).as("the client buffered no more than its window and a chunk")
          .isLessThan(WINDOW + 400);
      assertThat(nodes.engine().stats().tokensGenerated() - before).as("stopped by the socket buffers, not the context")
          .isLessThan(3000);
      assertThat(status().getJsonArray("streams").getJsonObject(0).getString("state")).isEqualTo("paused");
      stalled.cancel();
    }
  }

  @ParameterizedTest
  @MethodSource("dev.tokenbus.client.Transport#values")
  void cancelFreesTheSlotAndEndsTheStreamWithCancelledException(Transport transport) throws Exception {
    try (Tokenbus c = client(transport)) {
      TokenStream s = c.generate("cancel me", StreamConfig.builder().temperature(0).maxTokens(5000)
          .streamDelayMs(5).build());
      s.next();
      s.next();
      assertThat(nodes.engine().stats().active()).isEqualTo(1);
      s.cancel();
      // The gateway keeps streams for a reconnect: only an explicit cancel frees the slot this soon.
      await().atMost(Duration.ofSeconds(3)).until(() -> nodes.engine().stats().active() == 0);
      assertThatThrownBy(s::next).isInstanceOf(CancelledException.class);
      assertThat(s.isFinished()).isTrue();
      assertThat(s.result().failed() || s.result().await(5, TimeUnit.SECONDS) == null).isTrue();
    }
  }

  @ParameterizedTest
  @MethodSource("dev.tokenbus.client.Transport#values")
  void refusalsArriveAsTypedExceptions(Transport transport) throws Exception {
    try (Tokenbus c = client(transport)) {
      // Refusals carry HTTP's status over either transport (a WebSocket error frame carries it too).
      TokenStream empty = c.generate("", greedy(4));
      assertThatThrownBy(empty::next).isInstanceOfSatisfying(InvalidRequestException.class,
          e -> assertThat(e.param()).isEqualTo("prompt"));
      assertThat(empty.isFinished()).isTrue();
      assertThat(((TokenbusException) empty.result().cause()).status()).isEqualTo(400);

      TokenStream unknown = c.generate("hi", StreamConfig.builder().model("no-such-model").build());
      assertThatThrownBy(unknown::next).isInstanceOfSatisfying(ModelNotFoundException.class,
          e -> assertThat(e.status()).isEqualTo(404));
      // failed before the consumer saw the error
      assertThat(unknown.result().failed()).isTrue();

      TokenStream badGrammar = c.generate("hi", StreamConfig.builder().grammar("root ::= (").build());
      assertThatThrownBy(badGrammar::next).isInstanceOfSatisfying(InvalidRequestException.class,
          e -> assertThat(List.of(e.status(), e.param())).containsExactly(400, "grammar"));

      TokenStream tooLong = c.generate("word ".repeat(3000), greedy(4));
      assertThatThrownBy(tooLong::next).isInstanceOfSatisfying(ContextLengthExceededException.class,
          e -> assertThat(e.status()).isEqualTo(400));
    }
  }

  @Test
  void anUnreachableGatewayIsAConnectionException() throws Exception {
    try (Tokenbus c = Tokenbus.create(TokenbusOptions.of("http://127.0.0.1:1"))) {
      assertThatThrownBy(() -> c.generate("hi").next()).isInstanceOf(ConnectionException.class);
    }
  }

  @ParameterizedTest
  @MethodSource("dev.tokenbus.client.Transport#values")
  void theServerEndsAGenerationAtItsTimeoutWithAFinalToken(Transport transport) throws Exception {
    try (Tokenbus c = client(transport)) {
      List<TokenData> tokens = readAll(c.generate("slow", StreamConfig.builder().temperature(0).maxTokens(1000)
          .streamDelayMs(50).timeoutMs(400).build()));
      assertThat(tokens.getLast().finishReason()).isEqualTo(FinishReason.TIMEOUT);
      assertThat(tokens.size()).isLessThan(1000);
    }
  }

  /**
   * timeoutMs(0) is no deadline on the server: a generation that lasts longer than the gateway's
   * one-second timeout grace runs to its length (a deadline of "now" would end it at once).
   */
  @Test
  void noTimeoutRunsPastAnyDeadline() throws Exception {
    try (Tokenbus c = client(Transport.WEBSOCKET)) {
      long t0 = System.nanoTime();
      List<TokenData> tokens = readAll(c.generate("patient", StreamConfig.builder().temperature(0).maxTokens(30)
          .streamDelayMs(50).timeoutMs(0).build()));
      assertThat(tokens).hasSize(30);
      assertThat(tokens.getLast().finishReason()).isEqualTo(FinishReason.LENGTH);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThan(Duration.ofMillis(1200));
    }
  }

  /**
   * A subscriber that asks for one token at a time, from another thread, a few milliseconds later:
   * never more onNext than requested, every token in order, onComplete once, nothing after it, and
   * the worker never more than the windows ahead of what the subscriber took.
   */
  @Test
  void aSlowSubscriberGetsEveryTokenWithinItsDemand() throws Exception {
    int max = 60;
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    try (Tokenbus c = client(Transport.WEBSOCKET)) {
      long before = nodes.engine().stats().tokensGenerated();
      TokenStream s = c.generate("slow subscriber", StreamConfig.builder().temperature(0).maxTokens(max)
          .bufferSize(WINDOW).build());
      List<TokenData> got = new CopyOnWriteArrayList<>();
      AtomicLong requested = new AtomicLong();
      AtomicInteger violations = new AtomicInteger();
      AtomicLong maxAhead = new AtomicLong();
      AtomicInteger completions = new AtomicInteger();
      CompletableFuture<Void> done = new CompletableFuture<>();
      s.publisher().subscribe(new Flow.Subscriber<>() {
        Flow.Subscription sub;

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
          sub = subscription;
          requested.incrementAndGet();
          sub.request(1);
        }

        @Override
        public void onNext(TokenData t) {
          if (completions.get() > 0 || got.size() + 1 > requested.get()) {
            violations.incrementAndGet();
          }
          got.add(t);
          maxAhead.accumulateAndGet(nodes.engine().stats().tokensGenerated() - before - got.size(), Math::max);
          later.schedule(() -> {
            requested.incrementAndGet();
            sub.request(1);
          }, 3, TimeUnit.MILLISECONDS);
        }

        @Override
        public void onError(Throwable e) {
          done.completeExceptionally(e);
        }

        @Override
        public void onComplete() {
          completions.incrementAndGet();
          done.complete(null);
        }
      });
      done.get(60, TimeUnit.SECONDS);
      assertThat(got).hasSize(max);
      for (int i = 0; i < max; i++) {
        assertThat(got.get(i).index()).isEqualTo(i);
      }
      assertThat(violations.get()).as("onNext beyond request(n), or after onComplete").isZero();
      assertThat(maxAhead.get()).isLessThanOrEqualTo(2L * WINDOW + 1);
      // Let the scheduled requests run: still no signal after the terminal one.
      later.shutdown();
      assertThat(later.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
      assertThat(completions.get()).isEqualTo(1);
      assertThat(got).hasSize(max);
    } finally {
      later.shutdownNow();
    }
  }

  @Test
  void aPublisherCancelCancelsTheGenerationAndABadRequestIsAnError() throws Exception {
    try (Tokenbus c = client(Transport.WEBSOCKET)) {
      TokenStream s = c.generate("cancel from a subscriber", StreamConfig.builder().maxTokens(5000)
          .streamDelayMs(5).build());
      CompletableFuture<Throwable> error = new CompletableFuture<>();
      s.publisher().subscribe(new Flow.Subscriber<>() {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
          subscription.request(0);
        }

        @Override
        public void onNext(TokenData item) {
          error.completeExceptionally(new AssertionError("onNext without demand"));
        }

        @Override
        public void onError(Throwable throwable) {
          error.complete(throwable);
        }

        @Override
        public void onComplete() {
          error.completeExceptionally(new AssertionError("onComplete"));
        }
      });
      assertThat(error.get(10, TimeUnit.SECONDS)).isInstanceOf(IllegalArgumentException.class);
      await().atMost(Duration.ofSeconds(5)).until(() -> nodes.engine().stats().active() == 0);
      // A second subscriber is refused.
      CompletableFuture<Throwable> second = new CompletableFuture<>();
      s.publisher().subscribe(new Flow.Subscriber<>() {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {}

        @Override
        public void onNext(TokenData item) {}

        @Override
        public void onError(Throwable throwable) {
          second.complete(throwable);
        }

        @Override
        public void onComplete() {}
      });
      assertThat(second.get(5, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void aVertxConsumerPipesTheStreamWithFetch() throws Exception {
    try (Tokenbus c = client(Transport.WEBSOCKET)) {
      TokenStream s = c.generate("read stream", greedy(25));
      List<TokenData> got = new CopyOnWriteArrayList<>();
      CompletableFuture<Void> ended = new CompletableFuture<>();
      s.context().runOnContext(v -> {
        s.pause();
        s.handler(t -> {
          got.add(t);
          s.fetch(1);
        });
        s.endHandler(x -> ended.complete(null));
        s.exceptionHandler(ended::completeExceptionally);
        s.fetch(1);
      });
      ended.get(30, TimeUnit.SECONDS);
      assertThat(got).hasSize(25);
      assertThat(got.getLast().isFinal()).isTrue();
      assertThatThrownBy(s::next).isInstanceOf(IllegalStateException.class);
    }
  }
}
