package dev.tokenbus.gateway.dispatch;

import static dev.tokenbus.gateway.dispatch.DispatchHarness.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.flow.TokenStreamException;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.CancelFrame;
import dev.tokenbus.protocol.frame.Handover;
import dev.tokenbus.protocol.frame.OpenFrame;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Reconnects} through the {@link Dispatcher}, against {@link FakeWorkerLink}s: a stream whose
 * client went away is parked for the grace period, given up to its owner's claim (on this gateway
 * or another one) and to no one else's, and cancelled when the grace period ends.
 */
class ReconnectsUnitTest {

  private static final StreamOwner OWNER = StreamOwner.ofApiKey("sk-owner");
  private static final StreamOwner OTHER = StreamOwner.ofApiKey("sk-other");
  private static Vertx vertx;
  private final List<DispatchHarness> gateways = new ArrayList<>();
  private final List<TokenData> got = new ArrayList<>();

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws Exception {
    for (DispatchHarness g : gateways) {
      g.close();
    }
  }

  private DispatchHarness gateway(long graceMs) throws Exception {
    DispatchOptions options = DispatchHarness.options(8, graceMs);
    DispatchHarness g = gateways.isEmpty() ? DispatchHarness.start(vertx, options) : gateways.getFirst().another(options);
    g.announce("w", "m", 4, 0);
    gateways.add(g);
    return g;
  }

  /** A stream on {@code g} that received tokens 10, 11, 12 and whose client then went away. */
  private TokenStream parkedOn(DispatchHarness g) throws Exception {
    TokenStream s = g.opened("s1", OWNER, got);
    g.run(() -> g.link.frame(tokens("s1", 0, 10, 11, 12)));
    g.until(() -> got.size() == 3);
    g.run(() -> {
      s.handler(null);
      g.dispatcher.park(s);
    });
    assertThat(g.on(() -> g.dispatcher.isParked("s1"))).isTrue();
    return s;
  }

  @Test
  void aParkedStreamGoesToItsOwnerOnAnotherGatewayWithTheTokensSoFar() throws Exception {
    DispatchHarness first = gateway(60_000);
    DispatchHarness second = gateway(60_000);
    TokenStream parked = parkedOn(first);

    Future<TokenStream> resumed = second.on(() -> second.dispatcher.resume("s1", 1, OWNER));
    second.until(() -> !second.link.opens.isEmpty());
    OpenFrame open = second.on(() -> second.link.lastOpen().frame());
    assertThat(open.resume()).as("replays up to the last token the client got").containsExactly(10, 11);
    assertThat(open.request().id()).isEqualTo("s1");
    assertThat(open.streamId()).as("a wire id of the new gateway's").startsWith("s1@");
    assertThat(open.replyTo()).isEqualTo(second.link.endpoint());
    assertThat(open.request().config().seed()).isEqualTo(7L);

    assertThat(parked.state()).as("the first gateway gave it up").isEqualTo(TokenStream.State.FAILED);
    assertThat(first.on(() -> first.link.sentOf(CancelFrame.class))).extracting(CancelFrame::streamId)
        .containsExactly("s1");
    assertThat(first.on(() -> first.dispatcher.isParked("s1"))).isFalse();
    assertThat(first.on(() -> first.dispatcher.streams())).isEmpty();

    second.run(() -> second.link.lastOpen().accept());
    TokenStream s = DispatchHarness.result(resumed);
    assertThat(s.streamId()).isEqualTo("s1");
    assertThat(second.on(() -> second.dispatcher.streamsOf(OWNER))).containsExactly(s);
    assertThat(failureOf(first, first.on(() -> first.dispatcher.resume("s1", 1, OWNER))))
        .as("the stream lives on the second gateway now; it is not parked there")
        .isInstanceOf(StreamInUseException.class);
  }

  @Test
  void aParkedStreamResumesOnTheGatewayThatHoldsIt() throws Exception {
    DispatchHarness g = gateway(60_000);
    parkedOn(g);
    Future<TokenStream> resumed = g.on(() -> g.dispatcher.resume("s1", 2, OWNER));
    assertThat(g.on(() -> g.link.lastOpen().frame().resume())).containsExactly(10, 11, 12);
    g.run(() -> g.link.lastOpen().accept());
    assertThat(DispatchHarness.result(resumed).isFinished()).isFalse();
    assertThat(g.on(() -> g.dispatcher.streams())).hasSize(1);
  }

  @Test
  void anotherOwnersClaimFindsNothingAndTheStreamStaysParked() throws Exception {
    DispatchHarness first = gateway(60_000);
    DispatchHarness second = gateway(60_000);
    TokenStream parked = parkedOn(first);
    assertThat(failureOf(second, second.on(() -> second.dispatcher.resume("s1", 1, OTHER))))
        .isInstanceOf(StreamNotFoundException.class).hasMessage(StreamNotFoundException.unknown("s1").getMessage());
    assertThat(failureOf(first, first.on(() -> first.dispatcher.resume("s1", 1, OTHER))))
        .isInstanceOf(StreamNotFoundException.class).hasMessage(StreamNotFoundException.unknown("s1").getMessage());
    assertThat(first.on(() -> first.dispatcher.cancel("s1", OTHER, "not yours"))).isFalse();
    assertThat(parked.isFinished()).isFalse();
    assertThat(first.on(() -> first.dispatcher.isParked("s1"))).isTrue();
    assertThat(second.on(() -> second.link.opens)).isEmpty();
  }

  @Test
  void aStreamStillStreamingToItsClientIsNotTaken() throws Exception {
    DispatchHarness first = gateway(60_000);
    DispatchHarness second = gateway(60_000);
    TokenStream s = first.opened("s1", OWNER, got);
    assertThat(failureOf(second, second.on(() -> second.dispatcher.resume("s1", -1, OWNER))))
        .isInstanceOf(StreamInUseException.class);
    assertThat(s.isFinished()).isFalse();
  }

  @Test
  void aClaimForMoreTokensThanWereSentIsRefused() throws Exception {
    DispatchHarness g = gateway(60_000);
    TokenStream parked = parkedOn(g);
    assertThat(failureOf(g, g.on(() -> g.dispatcher.resume("s1", 5, OWNER))))
        .isInstanceOf(StreamNotFoundException.class).hasMessage("stream s1 has sent 3 tokens, not 6");
    assertThat(parked.isFinished()).isFalse();
  }

  @Test
  void aParkedStreamIsCancelledWhenTheGraceEnds() throws Exception {
    DispatchHarness g = gateway(30);
    TokenStream parked = parkedOn(g);
    g.until(parked::isFinished);
    TokenStreamException e = (TokenStreamException) g.failure(parked.result());
    assertThat(e.type()).isEqualTo(StreamErrorType.CANCELLED);
    assertThat(e).hasMessage("the client did not come back within 30 ms");
    assertThat(g.on(() -> g.link.sentOf(CancelFrame.class))).extracting(CancelFrame::streamId).containsExactly("s1");
    assertThat(g.on(() -> g.dispatcher.isParked("s1"))).isFalse();
    assertThat(failureOf(g, g.on(() -> g.dispatcher.resume("s1", 1, OWNER))))
        .isInstanceOf(StreamNotFoundException.class);
  }

  @Test
  void withoutAGracePeriodAStreamWhoseClientLeftIsCancelledAtOnce() throws Exception {
    DispatchHarness g = gateway(0);
    assertThat(g.on(() -> g.dispatcher.keepsStreamsForReconnect())).isFalse();
    TokenStream s = g.opened("s1", OWNER, got);
    g.run(() -> g.dispatcher.park(s));
    assertThat(s.state()).isEqualTo(TokenStream.State.FAILED);
    assertThat(g.on(() -> g.dispatcher.isParked("s1"))).isFalse();
    assertThat(g.on(() -> g.link.sentOf(CancelFrame.class))).extracting(CancelFrame::reason)
        .containsExactly("client disconnected");
  }

  @Test
  void everyLegOfAResumableStreamTellsItsWorkerTheOwnerAndTheGrace() throws Exception {
    DispatchHarness g = gateway(60_000);
    g.opened("s1", OWNER, got);
    OpenFrame first = g.on(() -> g.link.lastOpen().frame());
    assertThat(first.resumable()).isEqualTo(new OpenFrame.Resumable(OWNER.wire(), 60_000));
    g.announce("w2", "m", 4, 0);
    g.run(() -> g.link.nodeLeft(FakeWorkerLink.nodeOf("w")));
    g.until(() -> g.link.opens.size() == 2);
    assertThat(g.on(() -> g.link.lastOpen().frame().resumable())).as("a moved leg")
        .isEqualTo(first.resumable());

    DispatchHarness plain = gateway(0);
    plain.opened("s2", OWNER, got);
    assertThat(plain.on(() -> plain.link.lastOpen().frame().resumable())).isNull();
  }

  @Test
  void aClaimThatFindsNoHolderJustAfterAMemberLeftWaitsForTheWorkerToKeepTheStream() throws Exception {
    DispatchHarness g = gateway(60_000);
    g.run(() -> g.link.nodeLeft("node-of-a-killed-gateway"));
    Future<TokenStream> resumed = g.on(() -> g.dispatcher.resume("s1", 1, OWNER));
    g.until(() -> g.link.claims.size() >= 2);
    // The worker parks the stream and answers its claims, as the gateway that held it did.
    g.run(() -> g.link.parkedOn.put("w", (sid, last, claimer) -> {
      if (!claimer.equals(OWNER)) {
        throw StreamNotFoundException.unknown(sid);
      }
      return new Handover(new OpenFrame(sid, null, null, 4, DispatchHarness.request(sid), List.of(10, 11)), "m");
    }));
    g.until(() -> !g.link.opens.isEmpty());
    OpenFrame open = g.on(() -> g.link.lastOpen().frame());
    assertThat(open.resume()).containsExactly(10, 11);
    assertThat(open.resumable()).isEqualTo(new OpenFrame.Resumable(OWNER.wire(), 60_000));
    g.run(() -> g.link.lastOpen().accept());
    assertThat(DispatchHarness.result(resumed).streamId()).isEqualTo("s1");
  }

  @Test
  void aWorkerThatKeepsTheStreamAnswersItsOwnersClaimAndNoOneElses() throws Exception {
    DispatchHarness g = gateway(60_000);
    g.run(() -> g.link.parkedOn.put("w", (sid, last, claimer) -> {
      if (!claimer.equals(OWNER)) {
        throw StreamNotFoundException.unknown(sid);
      }
      if (last > 1) {
        throw new StreamNotFoundException(dev.tokenbus.protocol.frame.StreamClaim.tooFewTokens(sid, 2, last));
      }
      return new Handover(new OpenFrame(sid, null, null, 4, DispatchHarness.request(sid), List.of(10, 11)), "m");
    }));
    assertThat(failureOf(g, g.on(() -> g.dispatcher.resume("s1", 1, OTHER))))
        .isInstanceOf(StreamNotFoundException.class).hasMessage(StreamNotFoundException.unknown("s1").getMessage());
    assertThat(failureOf(g, g.on(() -> g.dispatcher.resume("s1", 5, OWNER))))
        .isInstanceOf(StreamNotFoundException.class).hasMessage("stream s1 has sent 2 tokens, not 6");
    assertThat(g.on(() -> g.link.opens)).isEmpty();
    Future<TokenStream> resumed = g.on(() -> g.dispatcher.resume("s1", 1, OWNER));
    assertThat(g.on(() -> g.link.lastOpen().frame().resume())).containsExactly(10, 11);
    g.run(() -> g.link.lastOpen().accept());
    assertThat(DispatchHarness.result(resumed).streamId()).isEqualTo("s1");
  }

  @Test
  void aClaimThatFindsNoHolderIsAnsweredAtOnceWhenNoMemberLeft() throws Exception {
    DispatchHarness g = gateway(60_000);
    assertThat(failureOf(g, g.on(() -> g.dispatcher.resume("gone", 1, OWNER))))
        .isInstanceOf(StreamNotFoundException.class).hasMessage(StreamNotFoundException.unknown("gone").getMessage());
    assertThat(g.on(() -> g.link.claims)).containsExactly("gone");
  }

  private static Throwable failureOf(DispatchHarness g, Future<?> f) throws Exception {
    return g.failure(f);
  }
}
