package dev.tokenbus.gateway.dispatch;

import static dev.tokenbus.gateway.dispatch.DispatchHarness.end;
import static dev.tokenbus.gateway.dispatch.DispatchHarness.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.flow.TokenStreamException;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.CancelFrame;
import dev.tokenbus.protocol.frame.ErrorFrame;
import io.vertx.core.Future;
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
 * Cancels that meet another event of the same stream, against a {@link FakeWorkerLink}: whatever
 * comes first, the worker that holds the stream (if any) is told to stop exactly once, a worker
 * that already ended is not, and the stream leaves the table.
 */
class CancelRacesUnitTest {

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
    h.announce("a", "m", 4, 0);
  }

  @AfterEach
  void close() throws Exception {
    h.close();
  }

  private List<CancelFrame> cancels() throws Exception {
    return h.on(() -> h.link.sentOf(CancelFrame.class));
  }

  @Test
  void aStreamCancelledWhileItsOpenIsOnTheWayIsStoppedOnTheWorkerThatAccepts() throws Exception {
    Future<TokenStream> f = h.generate("s1", null, OWNER);
    TokenStream s = h.on(() -> h.dispatcher.streams().iterator().next());
    assertThat(h.on(() -> h.dispatcher.cancel("s1", OWNER, "the client cancelled"))).isTrue();
    assertThat(cancels()).as("no worker holds it yet").isEmpty();
    assertThat(h.on(() -> h.dispatcher.streams())).isEmpty();

    h.run(() -> h.link.lastOpen().accept());
    assertThat(cancels()).as("the worker that took it stops it")
        .containsExactly(new CancelFrame("s1", "cancelled"));
    assertThat(DispatchHarness.result(f)).isSameAs(s);
    assertThat(s.state()).isEqualTo(TokenStream.State.FAILED);
    assertThat(h.on(() -> h.dispatcher.cancel("s1", OWNER, "again"))).as("once").isFalse();
  }

  @Test
  void aStreamCancelledWhileItMovesIsStoppedOnItsNewWorkerOnly() throws Exception {
    h.announce("b", "m", 4, 1);
    TokenStream s = h.opened("s1", OWNER, got);
    h.run(() -> h.link.frame(new ErrorFrame("s1", StreamErrorType.WORKER_SHUTDOWN, "stopping")));
    assertThat(cancels()).extracting(CancelFrame::streamId).as("the old worker").containsExactly("s1");
    assertThat(h.on(() -> h.dispatcher.cancel("s1", OWNER, "the client cancelled"))).isTrue();
    assertThat(cancels()).as("nobody holds it while it moves").hasSize(1);
    assertThat(((TokenStreamException) h.failure(s.result())).type()).isEqualTo(StreamErrorType.CANCELLED);

    h.run(() -> h.link.lastOpen().accept());
    assertThat(cancels()).extracting(CancelFrame::streamId).as("the new leg is stopped where it was accepted")
        .containsExactly("s1", "s1~1");
    assertThat(h.on(() -> h.link.sent.getLast().to())).isEqualTo("b");
    assertThat(h.on(() -> h.dispatcher.streams())).isEmpty();
  }

  @Test
  void aCancelAfterTheEndWasDeliveredDoesNothing() throws Exception {
    TokenStream s = h.opened("s1", OWNER, got);
    h.run(() -> {
      h.link.frame(tokens("s1", 0, 10));
      h.link.frame(end("s1", 1));
    });
    h.until(() -> s.result().isComplete());
    assertThat(h.on(() -> h.dispatcher.cancel("s1", OWNER, "late"))).isFalse();
    assertThat(s.result().succeeded()).isTrue();
    assertThat(cancels()).isEmpty();
  }

  @Test
  void aCancelMeetingTheEndStopsTheStreamWithoutCancellingTheWorker() throws Exception {
    TokenStream s = h.opened("s1", OWNER, got);
    h.run(() -> {
      s.pause(); // the client has not read the end yet
      h.link.frame(tokens("s1", 0, 10));
      h.link.frame(end("s1", 1));
    });
    assertThat(h.on(() -> h.dispatcher.cancel("s1", OWNER, "the client cancelled")))
        .as("the worker ended it: nothing left to cancel").isFalse();
    h.run(() -> s.cancel("the client went away")); // the relay's cancel when the client leaves before the end
    assertThat(((TokenStreamException) h.failure(s.result())).type()).isEqualTo(StreamErrorType.CANCELLED);
    assertThat(cancels()).as("the worker ended it already").isEmpty();
    assertThat(h.on(() -> h.dispatcher.streams())).isEmpty();
  }

  @Test
  void aWithdrawWhileTheOpenIsOnTheWayLeavesTheStreamToTheCaller() throws Exception {
    Future<TokenStream> f = h.generate("s1", null, OWNER);
    h.run(() -> h.dispatcher.withdraw("s1", "the client left"));
    assertThat(f.isComplete()).as("only a waiting request is withdrawn").isFalse();
    h.run(() -> h.link.lastOpen().accept());
    TokenStream s = DispatchHarness.result(f);
    h.run(() -> s.cancel("the client left"));
    assertThat(cancels()).containsExactly(new CancelFrame("s1", "the client left"));
    assertThat(h.on(() -> h.dispatcher.streams())).isEmpty();
  }

  @Test
  void aRequestWithdrawnJustBeforeASlotFreesIsNotOpened() throws Exception {
    h.announce("a", "m", 1, 1);
    Future<TokenStream> f = h.generate("s1", null, OWNER);
    h.run(() -> {
      h.dispatcher.withdraw("s1", "the client left");
      h.link.status(new dev.tokenbus.protocol.WorkerStatus("a", FakeWorkerLink.nodeOf("a"), "m", 1, 0, 0, 0, 0, 0,
          100, 100, false, Long.MAX_VALUE, null));
    });
    assertThat(h.failure(f)).isInstanceOf(TokenStreamException.class);
    assertThat(h.on(() -> h.link.opens)).isEmpty();
  }

  @Test
  void aQueuedRequestIsWithdrawnNotCancelled() throws Exception {
    h.announce("a", "m", 1, 1);
    Future<TokenStream> f = h.generate("s1", null, OWNER);
    assertThat(h.on(() -> h.dispatcher.cancel("s1", OWNER, "cancel"))).as("not open: nothing to cancel").isFalse();
    assertThat(f.isComplete()).isFalse();
    h.run(() -> h.dispatcher.withdraw("s1", "the client left"));
    assertThat(h.failure(f)).hasMessage("the client left");
  }
}
