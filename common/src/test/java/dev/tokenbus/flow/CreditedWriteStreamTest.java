package dev.tokenbus.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.EndFrame;
import dev.tokenbus.protocol.frame.ErrorFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.FrameBatch;
import dev.tokenbus.protocol.frame.FrameCodec;
import dev.tokenbus.protocol.frame.HeartbeatFrame;
import dev.tokenbus.protocol.frame.TokensFrame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The producer side against a recording gateway endpoint. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class CreditedWriteStreamTest {

  private static final GenerationResult RESULT = Tokens.result(FinishReason.LENGTH, 2);

  private Vertx vertx;
  private Context workerContext;
  private Context gatewayContext;
  private final String target = "test.gateway." + UUID.randomUUID();
  private final List<Frame> received = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    workerContext = vertx.getOrCreateContext();
    gatewayContext = vertx.getOrCreateContext();
    FrameCodec.register(vertx.eventBus());
    OnContext.future(gatewayContext, () -> vertx.eventBus().<Object>consumer(target, m -> FrameBatch.forEach(m.body(), received::add))
        .completion()).await();
  }

  private CreditedWriteStream newProducer(String address, int window) {
    return OnContext.call(workerContext,
        () -> new CreditedWriteStream(workerContext, vertx.eventBus(), address, "s", window));
  }

  private void settle() {
    OnContext.settle(workerContext, gatewayContext);
  }

  private List<TokenData> tokensReceived() {
    List<TokenData> tokens = new ArrayList<>();
    received.stream().filter(TokensFrame.class::isInstance).forEach(f -> tokens.addAll(((TokensFrame) f).tokens()));
    return tokens;
  }

  @Test
  void coalescingSendsTheFirstTokenAtOnceAndGathersABurstIntoFewFrames() {
    CreditedWriteStream out = OnContext.call(workerContext,
        () -> new CreditedWriteStream(workerContext, vertx.eventBus(), target, "s", 1000, 500));
    out.write(Tokens.token(0));
    // Nothing was sent lately: the first token leaves without waiting for the interval.
    await().pollDelay(java.time.Duration.ZERO).pollInterval(java.time.Duration.ofMillis(1))
        .atMost(java.time.Duration.ofMillis(400)).until(() -> tokensReceived().size() == 1);
    for (int i = 1; i <= 100; i++) {
      out.write(Tokens.token(i)); // a burst from a plain thread, well inside the 500 ms interval
    }
    out.finish(RESULT);
    await().atMost(java.time.Duration.ofSeconds(2)).until(() -> received.stream().anyMatch(EndFrame.class::isInstance));
    assertThat(Tokens.indices(tokensReceived())).isEqualTo(Tokens.zeroTo(101));
    assertThat(received.stream().filter(TokensFrame.class::isInstance).count()).as("frames for 101 tokens")
        .isLessThanOrEqualTo(3);
    assertThat(received.getLast()).isInstanceOf(EndFrame.class);
  }

  @Test
  void creditsGateWritabilityAndTheDrainHandlerFiresOnTheWayBackUp() {
    CreditedWriteStream out = newProducer(target, 2);
    AtomicInteger drains = new AtomicInteger();
    out.drainHandler(v -> drains.incrementAndGet());
    assertThat(out.writeQueueFull()).isFalse();
    assertThat(out.creditsStalledSinceNanos()).isZero();
    out.write(Tokens.token(0));
    out.write(Tokens.token(1));
    assertThat(out.writeQueueFull()).isTrue();
    assertThat(out.creditsStalledSinceNanos()).isNotZero();

    // Past the credits: accepted and sent all the same (the engine's overshoot), never dropped.
    assertThat(out.write(Tokens.token(2)).succeeded()).isTrue();
    assertThat(out.credits()).isEqualTo(-1);

    OnContext.run(workerContext, () -> out.addCredits(1));
    assertThat(out.writeQueueFull()).isTrue();
    assertThat(drains).hasValue(0);
    OnContext.run(workerContext, () -> out.addCredits(2));
    assertThat(out.writeQueueFull()).isFalse();
    assertThat(out.creditsStalledSinceNanos()).isZero();
    assertThat(drains).hasValue(1);
    OnContext.run(workerContext, () -> out.addCredits(5));
    assertThat(drains).as("only when going from none to some").hasValue(1);

    settle();
    assertThat(Tokens.indices(tokensReceived())).containsExactly(0, 1, 2);
  }

  @Test
  void finishSendsPendingTokensThenEndAndNothingAfter() {
    CreditedWriteStream out = newProducer(target, 8);
    out.write(Tokens.token(0));
    out.write(Tokens.last(1));
    Future<Void> finished = out.finish(RESULT);
    out.fail(StreamErrorType.ENGINE_ERROR, "too late");
    out.finish(Tokens.result(FinishReason.STOP, 9));
    assertThat(out.write(Tokens.token(2)).failed()).isTrue();
    finished.await();
    settle();
    assertThat(tokensReceived()).containsExactly(Tokens.token(0), Tokens.last(1));
    assertThat(received.getLast()).isEqualTo(new EndFrame("s", RESULT));
    assertThat(received.stream().filter(f -> f instanceof EndFrame || f instanceof ErrorFrame)).hasSize(1);
    assertThat(OnContext.call(workerContext, () -> out.heartbeatIfIdle(0, "DONE"))).isFalse();
  }

  @Test
  void failSendsPendingTokensThenError() {
    CreditedWriteStream out = newProducer(target, 8);
    out.write(Tokens.token(0));
    out.fail(StreamErrorType.CREDIT_STALL, "no credit for 30000 ms").await();
    out.finish(RESULT); // the engine's end after a cancel: ignored
    settle();
    assertThat(received).hasSize(2);
    assertThat(received.getLast()).isEqualTo(new ErrorFrame("s", StreamErrorType.CREDIT_STALL, "no credit for 30000 ms"));
  }

  @Test
  void endWithoutAResultIsAProtocolError() {
    CreditedWriteStream out = newProducer(target, 8);
    out.end().await();
    settle();
    assertThat(received).singleElement().isInstanceOfSatisfying(ErrorFrame.class,
        e -> assertThat(e.type()).isEqualTo(StreamErrorType.PROTOCOL_ERROR));
  }

  @Test
  void heartbeatOnlyWhenIdleAndOnlyWhenTheStateChanged() {
    CreditedWriteStream out = newProducer(target, 8);
    out.setGenerated(5);
    assertThat(OnContext.call(workerContext, () -> out.heartbeatIfIdle(TimeUnit.HOURS.toNanos(1), "PROMPT")))
        .isFalse();
    assertThat(OnContext.call(workerContext, () -> out.heartbeatIfIdle(0, "PROMPT"))).isTrue();
    // The same state again: its liveness is the worker heartbeat's business, not a frame per stream.
    assertThat(OnContext.call(workerContext, () -> out.heartbeatIfIdle(0, "PROMPT"))).isFalse();
    assertThat(OnContext.call(workerContext, () -> out.heartbeatIfIdle(0, "PAUSED"))).isTrue();
    settle();
    assertThat(received).containsExactly(new HeartbeatFrame("s", 5, "PROMPT"), new HeartbeatFrame("s", 5, "PAUSED"));
    assertThat(out.lastSendNanos()).isGreaterThan(0);
  }

  @Test
  void generatedIsTheEnginesCountOrTheTokensWrittenWhicheverIsHigher() {
    CreditedWriteStream out = newProducer(target, 8);
    out.write(Tokens.token(0));
    out.write(Tokens.token(1));
    assertThat(out.generated()).isEqualTo(2);
    out.setGenerated(7);
    assertThat(out.generated()).isEqualTo(7);
    out.write(TokenData.end(7, "", FinishReason.TIMEOUT)); // carries no token: not counted
    assertThat(out.generated()).isEqualTo(7);
  }

  @Test
  void writesFromAPlainThreadKeepTheirOrderAndCoalesceWhileTheContextIsBusy() throws Exception {
    CreditedWriteStream out = newProducer(target, 256);
    CountDownLatch contextBlocked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    workerContext.runOnContext(v -> {
      contextBlocked.countDown();
      try {
        release.await(5, TimeUnit.SECONDS); // stands for an event loop that is behind
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(contextBlocked.await(5, TimeUnit.SECONDS)).isTrue();
    Thread writer = Thread.ofPlatform().start(() -> {
      for (int i = 0; i < 200; i++) {
        out.write(i == 199 ? Tokens.last(i) : Tokens.token(i));
      }
      out.finish(RESULT);
    });
    writer.join();
    release.countDown();
    await().atMost(5, TimeUnit.SECONDS).until(() -> received.stream().anyMatch(EndFrame.class::isInstance));
    assertThat(Tokens.indices(tokensReceived())).isEqualTo(Tokens.zeroTo(200));
    assertThat(received.stream().filter(TokensFrame.class::isInstance).count()).isEqualTo(1);
    assertThat(received.getLast()).isInstanceOf(EndFrame.class);
  }

  @Test
  void writesFromManyBurstsArriveInOrder() throws Exception {
    CreditedWriteStream out = newProducer(target, 10_000);
    Thread writer = Thread.ofPlatform().start(() -> {
      for (int i = 0; i < 5_000; i++) {
        out.write(Tokens.token(i));
      }
      out.finish(RESULT);
    });
    writer.join();
    await().atMost(5, TimeUnit.SECONDS).until(() -> received.stream().anyMatch(EndFrame.class::isInstance));
    assertThat(Tokens.indices(tokensReceived())).isEqualTo(Tokens.zeroTo(5_000));
  }

  @Test
  void aVanishedGatewayIsReportedOnce() throws Throwable {
    VertxTestContext test = new VertxTestContext();
    CreditedWriteStream out = newProducer("test.nobody." + UUID.randomUUID(), 8);
    Checkpoint reported = test.checkpoint(); // strict: a second report fails the test
    AtomicInteger reports = new AtomicInteger();
    out.exceptionHandler(err -> test.verify(() -> {
      reports.incrementAndGet();
      assertThat(err).isInstanceOfSatisfying(ReplyException.class,
          e -> assertThat(e.failureType()).isEqualTo(ReplyFailure.NO_HANDLERS));
      reported.flag();
    }));
    out.write(Tokens.token(0));
    await().atMost(5, TimeUnit.SECONDS).until(() -> reports.get() == 1);
    out.write(Tokens.token(1));
    Future<Void> finished = out.finish(RESULT);
    await().atMost(5, TimeUnit.SECONDS).until(finished::isComplete);
    assertThat(finished.failed()).isTrue();
    settle();
    assertThat(reports).hasValue(1);
    assertThat(out.write(Tokens.token(2)).failed()).isTrue();
    assertThat(OnContext.call(workerContext, () -> out.heartbeatIfIdle(0, "RUNNING"))).isFalse();
    OnContext.awaitSuccess(test);
  }
}
