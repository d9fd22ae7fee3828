package dev.tokenbus.gateway.dispatch;

import static dev.tokenbus.gateway.dispatch.DispatchHarness.end;
import static dev.tokenbus.gateway.dispatch.DispatchHarness.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.flow.TokenStreamException;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.CancelFrame;
import dev.tokenbus.protocol.frame.ErrorFrame;
import dev.tokenbus.protocol.frame.HeartbeatFrame;
import dev.tokenbus.protocol.frame.OpenFrame;
import dev.tokenbus.protocol.frame.RefuseFrame;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Failover} through the {@link Dispatcher}, against a {@link FakeWorkerLink}: a stream whose
 * worker shuts down, leaves the cluster or goes silent moves to another worker with the tokens
 * received so far and goes on; one that cannot move fails with the reason.
 */
class FailoverUnitTest {

  private static final StreamOwner OWNER = StreamOwner.SINGLE_TENANT;
  private static Vertx vertx;
  private DispatchHarness h;
  private final List<TokenData> got = new ArrayList<>();

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void start() throws Exception {
    h = DispatchHarness.start(vertx, DispatchHarness.options(8, 0));
  }

  @AfterEach
  void close() throws Exception {
    h.close();
  }

  /** A stream on worker a (the least loaded) that received tokens 10, 11, 12; b is there too. */
  private TokenStream streamOnA() throws Exception {
    h.announce("a", "m", 4, 0);
    h.announce("b", "m", 4, 1);
    TokenStream s = h.opened("s1", OWNER, got);
    assertThat(s.workerEndpoint()).isEqualTo("a");
    h.run(() -> h.link.frame(tokens("s1", 0, 10, 11, 12)));
    h.until(() -> got.size() == 3);
    return s;
  }

  /** Asserts that the stream moved from a to b with its tokens, and lets it go on there to its end. */
  private void assertMovedToBAndGoesOn(TokenStream s, String reason) throws Exception {
    FakeWorkerLink.Open leg = h.on(() -> h.link.lastOpen());
    assertThat(leg.workerId()).isEqualTo("b");
    OpenFrame open = leg.frame();
    assertThat(open.streamId()).as("a new wire id for the new leg").isEqualTo("s1~1");
    assertThat(open.resume()).as("the tokens so far, to replay").containsExactly(10, 11, 12);
    assertThat(open.request().config().seed()).as("samples on with the same seed").isEqualTo(7L);
    assertThat(h.on(() -> h.link.sentOf(CancelFrame.class))).as("the old worker is told to stop")
        .containsExactly(new CancelFrame("s1", "moved to another worker: " + reason));
    assertThat(s.workerEndpoint()).as("between workers").isNull();

    h.run(leg::accept);
    assertThat(s.workerEndpoint()).isEqualTo("b");
    h.run(() -> h.link.frame(tokens("s1", 3, 99))); // late, from the old leg: not taken
    h.run(() -> h.link.frame(tokens("s1~1", 3, 13)));
    h.run(() -> h.link.frame(end("s1~1", 4)));
    h.until(() -> s.result().isComplete());
    assertThat(s.result().succeeded()).isTrue();
    assertThat(got).extracting(TokenData::tokenId).containsExactly(10, 11, 12, 13);
    assertThat(got).extracting(TokenData::index).containsExactly(0, 1, 2, 3);
    assertThat(h.on(() -> h.dispatcher.streams())).isEmpty();
  }

  @Test
  void aStreamWhoseWorkerShutsDownMovesWithItsTokensAndGoesOn() throws Exception {
    TokenStream s = streamOnA();
    h.run(() -> h.link.frame(new ErrorFrame("s1", StreamErrorType.WORKER_SHUTDOWN, "stopping")));
    assertThat(s.isFinished()).isFalse();
    assertThat(h.on(() -> h.dispatcher.registry().eligible("m"))).as("a is forgotten until it announces again")
        .extracting(w -> w.workerId()).containsExactly("b");
    assertMovedToBAndGoesOn(s, "stopping");
  }

  @Test
  void aStreamWhoseWorkerLeftTheClusterMoves() throws Exception {
    TokenStream s = streamOnA();
    h.run(() -> h.link.nodeLeft(FakeWorkerLink.nodeOf("a")));
    assertMovedToBAndGoesOn(s, "worker a left the cluster");
  }

  @Test
  void aSilentWorkerIsFoundByTheLivenessSweepAndItsStreamMoves() throws Exception {
    TokenStream s = streamOnA();
    h.sweepAfter(DispatchHarness.INACTIVITY_MS / 2);
    assertThat(h.on(() -> h.link.opens.size())).as("not silent for long enough").isEqualTo(1);
    h.run(() -> h.link.frame(new HeartbeatFrame("s1", 3, "GENERATING")));
    h.sweepAfter(DispatchHarness.INACTIVITY_MS - 1000);
    assertThat(h.on(() -> h.link.opens.size())).as("a heartbeat is a sign of life").isEqualTo(1);
    assertThat(h.dispatcher.moves(StreamErrorType.WORKER_UNRESPONSIVE)).isZero();
    h.sweepAfter(DispatchHarness.INACTIVITY_MS + 1000);
    assertThat(h.dispatcher.moves(StreamErrorType.WORKER_UNRESPONSIVE)).as("counted, for /metrics").isEqualTo(1);
    assertThat(h.dispatcher.moves(StreamErrorType.WORKER_LOST)).isZero();
    assertMovedToBAndGoesOn(s, "no token or heartbeat from worker a for " + DispatchHarness.INACTIVITY_MS + " ms");
  }

  @Test
  void aWorkerHeartbeatIsASignOfLifeForEachOfThatWorkersStreamsOnly() throws Exception {
    TokenStream s = streamOnA();
    h.sweepAfter(DispatchHarness.INACTIVITY_MS / 2);
    h.run(() -> h.link.frame(HeartbeatFrame.ofWorker("a", 1)));
    h.run(() -> h.link.frame(HeartbeatFrame.ofWorker("b", 1))); // another worker's: says nothing of a's streams
    h.sweepAfter(DispatchHarness.INACTIVITY_MS - 1000);
    assertThat(h.on(() -> h.link.opens.size())).as("its worker's heartbeat is a sign of life").isEqualTo(1);
    assertThat(s.isFinished()).isFalse();
    h.sweepAfter(DispatchHarness.INACTIVITY_MS + 1000);
    assertThat(h.dispatcher.moves(StreamErrorType.WORKER_UNRESPONSIVE)).isEqualTo(1);
    assertMovedToBAndGoesOn(s, "no token or heartbeat from worker a for " + DispatchHarness.INACTIVITY_MS + " ms");
  }

  /**
   * With 10,000 streams a walk of the table took about 5 ms of the event loop: the sweep walks it
   * only when a worker with streams here is not vouched for by a recent heartbeat, or a deadline
   * passed; a silent worker's streams still move on time.
   */
  @Test
  void theSweepWalksTheStreamsOnlyWhenAWorkerIsNotVouchedFor() throws Exception {
    TokenStream s = streamOnA();
    h.run(() -> h.link.frame(HeartbeatFrame.ofWorker("a", 1)));
    h.sweepAfter(0); // the first walk starts the watch
    long walks = h.on(() -> h.dispatcher.livenessScans());
    for (int i = 1; i <= 5; i++) {
      h.sweepAfter(i * 100);
    }
    assertThat(h.on(() -> h.dispatcher.livenessScans())).as("a's heartbeat vouches for its stream").isEqualTo(walks);

    h.sweepAfter(DispatchHarness.INACTIVITY_MS + 1000);
    assertThat(h.on(() -> h.dispatcher.livenessScans())).isGreaterThan(walks);
    assertThat(h.dispatcher.moves(StreamErrorType.WORKER_UNRESPONSIVE)).isEqualTo(1);
    assertMovedToBAndGoesOn(s, "no token or heartbeat from worker a for " + DispatchHarness.INACTIVITY_MS + " ms");
  }

  @Test
  void aStreamWithNoOtherWorkerFails() throws Exception {
    h.announce("a", "m", 4, 0);
    TokenStream s = h.opened("s1", OWNER, got);
    h.run(() -> h.link.frame(new ErrorFrame("s1", StreamErrorType.WORKER_SHUTDOWN, "stopping")));
    TokenStreamException e = (TokenStreamException) h.failure(s.result());
    assertThat(e.type()).isEqualTo(StreamErrorType.NO_WORKER);
    assertThat(e).hasMessage("stopping; the stream cannot move: no other worker serves its model");
    assertThat(h.on(() -> h.link.opens.size())).isEqualTo(1);
    assertThat(h.on(() -> h.dispatcher.streams())).isEmpty();
  }

  @Test
  void aMoveNoWorkerTakesFailsTheStream() throws Exception {
    TokenStream s = streamOnA();
    h.run(() -> h.link.frame(new ErrorFrame("s1", StreamErrorType.WORKER_SHUTDOWN, "stopping")));
    h.run(() -> h.link.lastOpen().refuse(RefuseFrame.Reason.SHUTTING_DOWN));
    TokenStreamException e = (TokenStreamException) h.failure(s.result());
    assertThat(e.type()).isEqualTo(StreamErrorType.NO_WORKER);
    assertThat(e.getMessage()).startsWith("stopping; moving the stream failed: no worker could take the request: b:");
  }

  @Test
  void aStreamMovesAtMostThreeTimes() throws Exception {
    TokenStream s = streamOnA();
    for (int move = 1; move <= Failover.MAX_MOVES; move++) {
      h.announce("a", "m", 4, 0); // the worker it left comes back
      h.announce("b", "m", 4, 0);
      String wire = h.on(() -> h.link.lastOpen().wire());
      h.run(() -> h.link.frame(new ErrorFrame(wire, StreamErrorType.WORKER_SHUTDOWN, "stopping")));
      assertThat(h.on(() -> h.link.lastOpen().wire())).isEqualTo("s1~" + move);
      h.run(() -> h.link.lastOpen().accept());
    }
    h.announce("a", "m", 4, 0);
    h.announce("b", "m", 4, 0);
    h.run(() -> h.link.frame(new ErrorFrame("s1~3", StreamErrorType.WORKER_SHUTDOWN, "stopping")));
    assertThat(h.failure(s.result())).hasMessage("stopping; the stream cannot move: it moved 3 times already");
  }

  /** A stream with timeout_ms 2000 on worker a, the only one. */
  private TokenStream streamOnAWithTwoSeconds() throws Exception {
    h.announce("a", "m", 4, 0);
    return DispatchHarness.result(h.on(() -> {
      var f = h.dispatcher.generate(DispatchHarness.request("s1",
          StreamConfig.defaults().toBuilder().bufferSize(4).timeoutMs(2000).build()), null, OWNER);
      h.link.lastOpen().accept();
      return f;
    }));
  }

  @Test
  void aStreamPastItsDeadlineFailsWithTimeout() throws Exception {
    TokenStream s = streamOnAWithTwoSeconds();
    h.sweepAfter(2000 + Failover.DEADLINE_GRACE_MS / 2);
    assertThat(s.isFinished()).as("the worker has a grace period to end it itself").isFalse();
    h.sweepAfter(2000 + Failover.DEADLINE_GRACE_MS + 500);
    assertThat(((TokenStreamException) h.failure(s.result())).type()).isEqualTo(StreamErrorType.TIMEOUT);
    assertThat(h.on(() -> h.link.sentOf(CancelFrame.class))).extracting(CancelFrame::streamId).containsExactly("s1");
  }

  @Test
  void aStreamPastItsDeadlineFailsWithTimeoutThoughItsWorkerIsVouchedFor() throws Exception {
    TokenStream s = streamOnAWithTwoSeconds();
    h.run(() -> h.link.frame(HeartbeatFrame.ofWorker("a", 1)));
    h.sweepAfter(0);
    long walks = h.on(() -> h.dispatcher.livenessScans());
    h.sweepAfter(2000 + Failover.DEADLINE_GRACE_MS / 2);
    assertThat(h.on(() -> h.dispatcher.livenessScans())).as("no deadline passed, a vouched for").isEqualTo(walks);
    h.sweepAfter(2000 + Failover.DEADLINE_GRACE_MS + 500);
    assertThat(((TokenStreamException) h.failure(s.result())).type()).isEqualTo(StreamErrorType.TIMEOUT);
  }

  @Test
  void aMovedStreamThatRanOutOfTimeDoesNotMove() throws Exception {
    h.announce("a", "m", 4, 0);
    h.announce("b", "m", 4, 1);
    TokenStream s = DispatchHarness.result(h.on(() -> {
      var f = h.dispatcher.generate(DispatchHarness.request("s1",
          StreamConfig.defaults().toBuilder().bufferSize(4).timeoutMs(1).build()), null, OWNER);
      h.link.lastOpen().accept();
      return f;
    }));
    h.until(() -> System.nanoTime() - s.lastActivityNanos() > TimeUnit.MILLISECONDS.toNanos(2));
    h.run(() -> h.link.frame(new ErrorFrame("s1", StreamErrorType.WORKER_SHUTDOWN, "stopping")));
    assertThat(h.failure(s.result())).hasMessage("stopping; the stream cannot move: timeout_ms has elapsed");
    assertThat(h.on(() -> h.link.opens.size())).isEqualTo(1);
  }
}
