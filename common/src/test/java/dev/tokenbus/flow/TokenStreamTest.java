package dev.tokenbus.flow;

import static dev.tokenbus.flow.Tokens.indices;
import static dev.tokenbus.flow.Tokens.range;
import static dev.tokenbus.flow.Tokens.zeroTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.EndFrame;
import dev.tokenbus.protocol.frame.ErrorFrame;
import dev.tokenbus.protocol.frame.HeartbeatFrame;
import dev.tokenbus.protocol.frame.TokensFrame;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.streams.Pipe;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The consumer side on its own: frames are fed in directly and the credits and cancels it sends are recorded. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TokenStreamTest {

  private static final GenerationResult RESULT = Tokens.result(FinishReason.STOP, 3);

  private Context context;
  private final List<Integer> credits = new ArrayList<>();
  private final List<String> cancels = new ArrayList<>();
  private final List<TokenData> received = new ArrayList<>();
  private final List<Throwable> errors = new ArrayList<>();
  private int ends;

  @BeforeEach
  void setUp(Vertx vertx) {
    context = vertx.getOrCreateContext();
  }

  private TokenStream newStream(int window) {
    return OnContext.call(context, () -> new TokenStream(context, "s", window, credits::add, cancels::add));
  }

  /** Sets every handler, as a consumer would; deliveries it allows happen after this returns. */
  private void consume(TokenStream stream) {
    stream.exceptionHandler(errors::add).endHandler(v -> ends++).handler(received::add);
  }

  private void on(Runnable body) {
    OnContext.run(context, body);
    OnContext.settle(context);
  }

  private static TokensFrame tokens(int from, int count) {
    return new TokensFrame("s", from + count, range(from, count));
  }

  @Test
  void keepsTokensUntilAHandlerIsSetAndNeverDeliversInsideHandler() {
    TokenStream stream = newStream(4);
    on(() -> stream.onTokens(tokens(0, 3)));
    assertThat(OnContext.call(context, () -> {
      consume(stream);
      return received.size(); // nothing yet: delivery comes later on the context
    })).isZero();
    OnContext.settle(context);
    assertThat(indices(received)).isEqualTo(zeroTo(3));
    assertThat(stream.tokensDelivered()).isEqualTo(3);
  }

  /**
   * A consumer that keeps up gets a frame's tokens during the intake itself, none buffered; one that
   * pauses within a frame gets the rest, in order, when it fetches again.
   */
  @Test
  void aFlowingConsumerGetsAFramesTokensDuringTheIntakeAndAPauseWithinOneBuffersTheRest() {
    TokenStream stream = newStream(8);
    on(() -> consume(stream));

    assertThat(OnContext.call(context, () -> {
      stream.onTokens(tokens(0, 3));
      return List.of(received.size(), stream.bufferedTokens());
    })).containsExactly(3, 0);

    on(() -> stream.handler(t -> {
      received.add(t);
      if (t.index() == 4) {
        stream.pause();
      }
    }));
    assertThat(OnContext.call(context, () -> {
      stream.onTokens(tokens(3, 4));
      return List.of(received.size(), stream.bufferedTokens());
    })).containsExactly(5, 2);

    on(() -> stream.resume());
    assertThat(indices(received)).isEqualTo(zeroTo(7));
    assertThat(stream.tokensDelivered()).isEqualTo(7);
    assertThat(credits.stream().mapToInt(Integer::intValue).sum()).isEqualTo(4); // batches of 4 for 7 taken
  }

  @Test
  void grantsCreditsAsTokensAreTakenInBatchesOfHalfTheWindow() {
    TokenStream four = newStream(4);
    on(() -> consume(four));
    on(() -> four.onTokens(tokens(0, 3)));
    assertThat(credits).containsExactly(2);
    on(() -> four.onTokens(tokens(3, 3)));
    assertThat(credits).containsExactly(2, 2, 2);

    credits.clear();
    TokenStream one = newStream(1);
    on(() -> consume(one));
    on(() -> one.onTokens(tokens(0, 3)));
    assertThat(credits).containsExactly(1, 1, 1);
  }

  @Test
  void aPausedStreamDeliversNothingAndGrantsNothing() {
    TokenStream stream = newStream(4);
    on(() -> consume(stream));
    on(stream::pause);
    on(() -> stream.onTokens(tokens(0, 4)));
    assertThat(received).isEmpty();
    assertThat(credits).isEmpty();
    assertThat(stream.state()).isEqualTo(TokenStream.State.PAUSED);
    assertThat(stream.bufferedTokens()).isEqualTo(4);

    on(() -> stream.fetch(1));
    assertThat(indices(received)).containsExactly(0);
    assertThat(credits).isEmpty();
    on(() -> stream.fetch(1));
    assertThat(indices(received)).containsExactly(0, 1);
    assertThat(credits).containsExactly(2);
    on(stream::resume);
    assertThat(indices(received)).isEqualTo(zeroTo(4));
    assertThat(stream.state()).isEqualTo(TokenStream.State.OPEN);
  }

  @Test
  void theEndComesAfterTheLastTokenAndOnlyWithDemand() {
    TokenStream stream = newStream(4);
    on(() -> consume(stream));
    on(stream::pause);
    on(() -> {
      stream.onTokens(tokens(0, 2));
      stream.onEnd(new EndFrame("s", RESULT));
    });
    assertThat(stream.isFinished()).isTrue();
    on(() -> stream.fetch(2));
    assertThat(received).hasSize(2);
    assertThat(ends).isZero();
    assertThat(stream.result().isComplete()).isFalse();

    on(() -> stream.fetch(1));
    assertThat(ends).isEqualTo(1);
    assertThat(stream.result().result()).isEqualTo(RESULT);
    assertThat(stream.state()).isEqualTo(TokenStream.State.ENDED);
    assertThat(credits).as("no credit once the worker is done").isEmpty();

    on(() -> stream.onTokens(tokens(2, 1)));
    on(stream::resume);
    assertThat(received).hasSize(2);
    assertThat(ends).isEqualTo(1);
    assertThat(errors).isEmpty();
  }

  @Test
  void anErrorFrameFailsTheStreamWithoutCancel() {
    TokenStream stream = newStream(4);
    on(() -> consume(stream));
    on(() -> {
      stream.onTokens(tokens(0, 1));
      stream.onError(new ErrorFrame("s", StreamErrorType.ENGINE_ERROR, "boom"));
    });
    assertThat(received).hasSize(1);
    assertThat(errors).singleElement().isInstanceOfSatisfying(TokenStreamException.class, e -> {
      assertThat(e.type()).isEqualTo(StreamErrorType.ENGINE_ERROR);
      assertThat(e.getMessage()).isEqualTo("boom");
    });
    assertThat(stream.result().cause()).isSameAs(errors.get(0));
    assertThat(stream.state()).isEqualTo(TokenStream.State.FAILED);
    assertThat(cancels).isEmpty();
    assertThat(ends).isZero();
  }

  @Test
  void moreThanWindowPlusTwoUndeliveredIsAProtocolError() {
    TokenStream stream = newStream(4);
    on(() -> consume(stream));
    on(stream::pause);
    on(() -> stream.onTokens(tokens(0, 4)));
    on(() -> stream.onTokens(tokens(4, 2))); // window + 2: the overshoot the protocol allows
    assertThat(errors).isEmpty();
    on(() -> stream.onTokens(tokens(6, 1)));
    assertThat(errors).singleElement().extracting(e -> ((TokenStreamException) e).type())
        .isEqualTo(StreamErrorType.PROTOCOL_ERROR);
    assertThat(cancels).singleElement().asString().startsWith("protocol_error");
    assertThat(stream.bufferedTokens()).isZero();

    cancels.clear();
    errors.clear();
    TokenStream flowing = newStream(4);
    on(() -> consume(flowing));
    on(() -> flowing.onTokens(tokens(0, 7)));
    assertThat(errors).singleElement().extracting(e -> ((TokenStreamException) e).type())
        .isEqualTo(StreamErrorType.PROTOCOL_ERROR);
    assertThat(cancels).hasSize(1);
  }

  @Test
  void cancelSendsOneCancelAndFailsWithCancelled() {
    TokenStream stream = newStream(4);
    on(() -> consume(stream));
    on(() -> stream.onTokens(tokens(0, 1)));
    on(() -> stream.cancel("client went away"));
    on(() -> stream.cancel("again"));
    on(stream::cancel);
    assertThat(cancels).containsExactly("client went away");
    assertThat(stream.result().cause()).isInstanceOfSatisfying(TokenStreamException.class,
        e -> assertThat(e.type()).isEqualTo(StreamErrorType.CANCELLED));
    assertThat(errors).hasSize(1);
    on(() -> {
      stream.onTokens(tokens(1, 1));
      stream.onEnd(new EndFrame("s", RESULT));
      stream.fail(StreamErrorType.WORKER_LOST, "gone");
    });
    assertThat(received).hasSize(1);
    assertThat(ends).isZero();
    assertThat(errors).hasSize(1);
    assertThat(cancels).hasSize(1);
  }

  @Test
  void cancelAfterTheWorkerEndedSendsNoCancel() {
    TokenStream stream = newStream(4);
    on(() -> consume(stream));
    on(stream::pause);
    on(() -> {
      stream.onTokens(tokens(0, 2));
      stream.onEnd(new EndFrame("s", RESULT));
    });
    on(() -> stream.cancel("client went away"));
    assertThat(cancels).isEmpty();
    assertThat(stream.result().failed()).isTrue();
    assertThat(errors).hasSize(1);
    on(stream::resume);
    assertThat(received).isEmpty();
    assertThat(ends).isZero();
  }

  @Test
  void aLocalFailureCancelsTheWorkerWithItsType() {
    TokenStream stream = newStream(4);
    on(() -> consume(stream));
    on(() -> stream.fail(StreamErrorType.WORKER_UNRESPONSIVE, "nothing for 30000 ms"));
    assertThat(cancels).singleElement().asString().startsWith("worker_unresponsive");
    assertThat(stream.isFinished()).isTrue();
    assertThat(((TokenStreamException) stream.result().cause()).type()).isEqualTo(StreamErrorType.WORKER_UNRESPONSIVE);
  }

  @Test
  void anExceptionHandlerSetAfterTheFailureIsToldOnce() {
    TokenStream stream = newStream(4);
    on(() -> stream.onError(new ErrorFrame("s", StreamErrorType.ENGINE_ERROR, "boom")));
    on(() -> stream.exceptionHandler(errors::add));
    assertThat(errors).hasSize(1);
    on(() -> stream.exceptionHandler(errors::add));
    assertThat(errors).hasSize(1);
  }

  @Test
  void aThrowingHandlerFailsTheStreamAndCancelsTheWorker() {
    TokenStream stream = newStream(4);
    on(() -> stream.exceptionHandler(errors::add).handler(t -> {
      throw new IllegalStateException("response already written");
    }));
    on(() -> stream.onTokens(tokens(0, 2)));
    assertThat(errors).singleElement().isInstanceOfSatisfying(TokenStreamException.class, e -> {
      assertThat(e.type()).isEqualTo(StreamErrorType.CONSUMER_ERROR);
      assertThat(e.getCause()).hasMessage("response already written");
    });
    assertThat(cancels).hasSize(1);
    assertThat(stream.tokensDelivered()).isEqualTo(1);
  }

  @Test
  void heartbeatsAndTokensReportProgressAndActivity() {
    TokenStream stream = newStream(4);
    long created = stream.lastActivityNanos();
    on(() -> stream.onHeartbeat(new HeartbeatFrame("s", 0, "PROMPT")));
    assertThat(stream.workerState()).isEqualTo("PROMPT");
    assertThat(stream.lastActivityNanos()).isGreaterThanOrEqualTo(created);
    on(() -> stream.onTokens(new TokensFrame("s", 9, range(0, 2))));
    assertThat(stream.tokensGenerated()).isEqualTo(9);
    on(() -> stream.onHeartbeat(new HeartbeatFrame("s", 12, "PAUSED")));
    assertThat(stream.tokensGenerated()).isEqualTo(12);
    stream.setWorker("tokenbus.worker.x", "node-x");
    assertThat(stream.workerEndpoint()).isEqualTo("tokenbus.worker.x");
    assertThat(stream.workerNode()).isEqualTo("node-x");
    assertThat(stream.streamId()).isEqualTo("s");
  }

  @Test
  void pipeHoldsEverythingUntilItIsConnected() {
    TokenStream stream = newStream(4);
    SlowWriteStream destination = new SlowWriteStream(Integer.MAX_VALUE);
    Pipe<TokenData> pipe = OnContext.call(context, stream::pipe);
    on(() -> {
      stream.onTokens(tokens(0, 3));
      stream.onEnd(new EndFrame("s", RESULT));
    });
    assertThat(destination.accepted).isZero();
    OnContext.future(context, () -> pipe.to(destination)).await();
    assertThat(destination.accepted).isEqualTo(3);
    assertThat(destination.ended.future().isComplete()).isTrue();
    assertThat(stream.result().result()).isEqualTo(RESULT);
  }

  @Test
  void negativeFetchIsRejected() {
    TokenStream stream = newStream(4);
    assertThatThrownBy(() -> OnContext.run(context, () -> stream.fetch(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TokenStream(context, "s", 0, n -> {}, r -> {}))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
