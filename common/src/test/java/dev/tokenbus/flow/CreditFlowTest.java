package dev.tokenbus.flow;

import static dev.tokenbus.flow.Tokens.indices;
import static dev.tokenbus.flow.Tokens.zeroTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.CancelFrame;
import dev.tokenbus.protocol.frame.CreditFrame;
import dev.tokenbus.protocol.frame.FrameCodec;
import dev.tokenbus.protocol.frame.TokensFrame;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Producer and consumer over the event bus with a small window, the engine played by a plain thread. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class CreditFlowTest {

  private static final int WINDOW = 4;

  @Test
  void everyTokenArrivesOnceInOrderThenTheResult(Vertx vertx, VertxTestContext test) {
    FlowHarness h = FlowHarness.start(vertx, WINDOW);
    List<TokenData> received = new ArrayList<>();
    FakeEngine engine = new FakeEngine(h.producer, 100);
    h.onGateway(() -> h.stream.exceptionHandler(test::failNow).handler(received::add).endHandler(v -> {
      GenerationResult expected = engine.done.join(); // finish() came first, so this is immediate
      test.verify(() -> {
        assertThat(indices(received)).isEqualTo(zeroTo(100));
        assertThat(received.stream().filter(TokenData::isFinal).toList()).singleElement()
            .extracting(TokenData::index).isEqualTo(99);
        assertThat(h.stream.result().result()).isEqualTo(expected);
        assertThat(h.stream.state()).isEqualTo(TokenStream.State.ENDED);
        assertThat(h.stream.tokensDelivered()).isEqualTo(100);
        assertThat(h.stream.tokensGenerated()).isEqualTo(100);
        // 100 tokens through a window of 4: the engine had to wait for credit on the way.
        assertThat(engine.fullChecks()).isPositive();
        assertThat(h.framesAtWorker(CancelFrame.class)).isZero();
      });
      test.completeNow();
    }));
    engine.start();
  }

  @Test
  void aPausedConsumerStopsTheProducerAndResumeStartsItAgain(Vertx vertx) {
    FlowHarness h = FlowHarness.start(vertx, WINDOW);
    List<TokenData> received = new CopyOnWriteArrayList<>();
    h.onGateway(() -> h.stream.handler(received::add).pause());
    FakeEngine engine = new FakeEngine(h.producer, 40).start();

    await().atMost(5, TimeUnit.SECONDS).until(() -> h.producer.writeQueueFull() && engine.written() == WINDOW);
    await().atMost(5, TimeUnit.SECONDS).until(() -> h.onGateway(h.stream::bufferedTokens) == WINDOW);
    h.settle();
    assertThat(engine.written()).isEqualTo(WINDOW);
    assertThat(h.framesAtWorker(CreditFrame.class)).as("no credit while paused").isZero();
    assertThat(received).isEmpty();
    assertThat(h.onGateway(h.stream::state)).isEqualTo(TokenStream.State.PAUSED);
    assertThat(h.producer.creditsStalledSinceNanos()).isNotZero();

    h.onGateway(() -> h.stream.resume());
    h.stream.result().await();
    engine.done.join();
    assertThat(indices(received)).isEqualTo(zeroTo(40));
    assertThat(engine.drains()).isPositive();
    assertThat(h.framesAtWorker(CreditFrame.class)).isPositive();
  }

  @Test
  void fetchDeliversExactlyWhatWasAskedFor(Vertx vertx) {
    FlowHarness h = FlowHarness.start(vertx, WINDOW);
    List<TokenData> received = new CopyOnWriteArrayList<>();
    h.onGateway(() -> h.stream.handler(received::add).pause());
    FakeEngine engine = new FakeEngine(h.producer, 20).start();
    await().atMost(5, TimeUnit.SECONDS).until(() -> h.onGateway(h.stream::bufferedTokens) == WINDOW);

    h.onGateway(() -> h.stream.fetch(3));
    h.settle();
    assertThat(indices(received)).containsExactly(0, 1, 2);
    h.onGateway(() -> h.stream.fetch(2));
    // Credits for the taken tokens let the engine refill the buffer; still exactly 5 delivered.
    await().atMost(5, TimeUnit.SECONDS).until(() -> engine.written() >= 5 + WINDOW - 1);
    h.settle();
    assertThat(indices(received)).containsExactly(0, 1, 2, 3, 4);
    assertThat(h.onGateway(h.stream::state)).isEqualTo(TokenStream.State.PAUSED);

    h.onGateway(() -> h.stream.resume());
    h.stream.result().await();
    assertThat(indices(received)).isEqualTo(zeroTo(20));
    engine.done.join();
  }

  @Test
  void pipeToASlowDestinationKeepsTheProducerWithinTheWindow(Vertx vertx) {
    FlowHarness h = FlowHarness.start(vertx, WINDOW);
    SlowWriteStream slow = new SlowWriteStream(1);
    FakeEngine engine = new FakeEngine(h.producer, 60).measureOutstandingAgainst(() -> slow.accepted);
    Future<Void> piped = OnContext.future(h.gateway, () -> h.stream.pipeTo(slow));
    long timer = h.onGateway(() -> vertx.setPeriodic(1, id -> slow.takeOne()));
    engine.start();

    piped.await();
    await().atMost(5, TimeUnit.SECONDS).until(() -> h.onGateway(slow::takenCount) == 60);
    vertx.cancelTimer(timer);
    assertThat(indices(h.onGateway(() -> List.copyOf(slow.taken)))).isEqualTo(zeroTo(60));
    assertThat(slow.ended.future().isComplete()).isTrue();
    assertThat(engine.fullChecks()).as("the slow destination held the engine back").isPositive();
    assertThat(engine.maxOutstanding()).isLessThanOrEqualTo(WINDOW + 1);
  }

  @Test
  void cancelSendsExactlyOneCancelAndFailsTheResult(Vertx vertx) throws Throwable {
    VertxTestContext test = new VertxTestContext();
    FlowHarness h = FlowHarness.start(vertx, WINDOW);
    FakeEngine engine = new FakeEngine(h.producer, 10_000);
    h.onCancel = engine::cancel;
    AtomicInteger received = new AtomicInteger();
    AtomicInteger ends = new AtomicInteger();
    Checkpoint failed = test.checkpoint();
    h.onGateway(() -> h.stream.endHandler(v -> ends.incrementAndGet())
        .exceptionHandler(err -> test.verify(() -> {
          assertThat(((TokenStreamException) err).type()).isEqualTo(StreamErrorType.CANCELLED);
          failed.flag();
        }))
        .handler(t -> {
          if (received.incrementAndGet() == 5) {
            h.stream.cancel("client went away");
            h.stream.cancel("client went away twice");
          }
        }));
    engine.start();
    engine.done.get(10, TimeUnit.SECONDS);
    OnContext.awaitSuccess(test);
    h.settle();
    assertThat(h.cancelReasons()).containsExactly("client went away");
    assertThat(received).hasValue(5);
    assertThat(ends).hasValue(0);
    assertThat(h.stream.result().cause()).isInstanceOfSatisfying(TokenStreamException.class,
        e -> assertThat(e.type()).isEqualTo(StreamErrorType.CANCELLED));
    assertThat(engine.written()).isLessThan(10_000);
  }

  @Test
  void anEngineErrorReachesTheExceptionHandlerAndTheResult(Vertx vertx) throws Throwable {
    VertxTestContext test = new VertxTestContext();
    FlowHarness h = FlowHarness.start(vertx, WINDOW);
    List<TokenData> received = new CopyOnWriteArrayList<>();
    Checkpoint failed = test.checkpoint();
    h.onGateway(() -> h.stream.handler(received::add).endHandler(v -> test.failNow("ended"))
        .exceptionHandler(err -> test.verify(() -> {
          assertThat(err).isInstanceOfSatisfying(TokenStreamException.class, e -> {
            assertThat(e.type()).isEqualTo(StreamErrorType.ENGINE_ERROR);
            assertThat(e.getMessage()).isEqualTo("decode failed");
          });
          failed.flag();
        })));
    new FakeEngine(h.producer, 10).failAfter(3, StreamErrorType.ENGINE_ERROR, "decode failed").start();
    OnContext.awaitSuccess(test);
    assertThat(h.stream.result().cause()).hasMessage("decode failed");
    h.settle();
    assertThat(indices(received)).containsExactly(0, 1, 2);
    assertThat(h.framesAtWorker(CancelFrame.class)).isZero();
  }

  @Test
  void tooManyTokensIsAProtocolErrorThatCancelsTheWorker(Vertx vertx) {
    FlowHarness h = FlowHarness.start(vertx, WINDOW);
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    h.onGateway(() -> h.stream.exceptionHandler(errors::add).handler(t -> {}).pause());
    // A rogue worker that ignores credits: window + 3 tokens in two frames.
    h.bus.send(h.gatewayAddress, new TokensFrame(h.streamId, 4, Tokens.range(0, 4)), FrameCodec.options());
    h.bus.send(h.gatewayAddress, new TokensFrame(h.streamId, 7, Tokens.range(4, 3)), FrameCodec.options());
    await().atMost(5, TimeUnit.SECONDS).until(() -> !errors.isEmpty());
    h.settle();
    assertThat(errors).singleElement().isInstanceOfSatisfying(TokenStreamException.class,
        e -> assertThat(e.type()).isEqualTo(StreamErrorType.PROTOCOL_ERROR));
    assertThat(h.framesAtWorker(CancelFrame.class)).isEqualTo(1);
    assertThat(h.stream.result().failed()).isTrue();
  }
}
