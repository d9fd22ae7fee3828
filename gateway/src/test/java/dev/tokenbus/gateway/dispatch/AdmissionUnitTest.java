package dev.tokenbus.gateway.dispatch;

import static dev.tokenbus.gateway.dispatch.DispatchHarness.end;
import static dev.tokenbus.gateway.dispatch.DispatchHarness.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.flow.TokenStreamException;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.CancelFrame;
import dev.tokenbus.protocol.frame.CreditFrame;
import dev.tokenbus.protocol.frame.ErrorFrame;
import dev.tokenbus.protocol.frame.RefuseFrame;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@link Dispatcher}'s dispatch and admission against a {@link FakeWorkerLink}: which worker an
 * OPEN goes to, the queue while every slot is busy (first come first served, bounded, withdrawn,
 * timed out, refused at shutdown), refusals and workers that do not answer.
 */
class AdmissionUnitTest {

  private static final StreamOwner OWNER = StreamOwner.SINGLE_TENANT;
  private static Vertx vertx;
  private DispatchHarness h;

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
    h.close();
  }

  private void start(int queueSize) throws Exception {
    h = DispatchHarness.start(vertx, DispatchHarness.options(queueSize, 0));
  }

  private List<String> openedRequests() throws Exception {
    return h.on(() -> h.link.opens.stream().map(o -> o.frame().request().id()).toList());
  }

  @Test
  void aRequestGoesToTheLeastLoadedWorkerAndStreamsThroughIt() throws Exception {
    start(4);
    h.announce("busy", "m", 4, 3);
    h.announce("idle", "m", 4, 0);
    Future<TokenStream> f = h.generate("r1", "m", OWNER);
    FakeWorkerLink.Open open = h.on(() -> h.link.lastOpen());
    assertThat(open.workerId()).isEqualTo("idle");
    assertThat(open.frame().replyTo()).as("frames come back to the dispatcher's endpoint").isEqualTo(h.link.endpoint());
    assertThat(open.frame().window()).isEqualTo(4);
    assertThat(f.isComplete()).as("not before the worker's ACCEPT").isFalse();

    h.run(open::accept);
    TokenStream s = DispatchHarness.result(f);
    assertThat(s.workerEndpoint()).isEqualTo("idle");
    List<TokenData> got = new ArrayList<>();
    h.run(() -> s.handler(got::add));
    h.run(() -> h.link.frame(tokens("r1", 0, 10, 11)));
    h.until(() -> got.size() == 2);
    assertThat(h.on(() -> h.link.sentOf(CreditFrame.class))).as("credit back to the worker for the tokens taken")
        .containsExactly(new CreditFrame("r1", 2));
    assertThat(h.on(() -> h.dispatcher.streams())).containsExactly(s);

    h.run(() -> h.link.frame(end("r1", 2)));
    h.until(() -> s.result().succeeded());
    assertThat(h.on(() -> h.dispatcher.streams())).as("an ended stream leaves the table").isEmpty();
  }

  @Test
  void whileEverySlotIsBusyRequestsWaitAndAreServedInArrivalOrder() throws Exception {
    start(8);
    h.announce("w", "m", 1, 1);
    List<Future<TokenStream>> waiting = new ArrayList<>();
    for (String id : List.of("r1", "r2", "r3")) {
      waiting.add(h.generate(id, "m", OWNER));
    }
    assertThat(openedRequests()).as("no slot: nothing is sent").isEmpty();
    assertThat(h.on(() -> h.dispatcher.queued())).isEqualTo(3);

    for (int i = 0; i < 3; i++) {
      h.announce("w", "m", 1, 0); // a slot freed
      assertThat(openedRequests()).hasSize(i + 1);
      h.run(() -> h.link.lastOpen().accept());
      assertThat(DispatchHarness.result(waiting.get(i)).streamId()).isEqualTo("r" + (i + 1));
    }
    assertThat(openedRequests()).containsExactly("r1", "r2", "r3");
    assertThat(h.on(() -> h.dispatcher.queued())).isZero();
  }

  @Test
  void aNewRequestWaitsBehindThoseWaitingEvenWhenASlotIsFree() throws Exception {
    start(8);
    h.announce("w", "m", 1, 1);
    Future<TokenStream> r1 = h.generate("r1", "m", OWNER);
    h.generate("r2", "m", OWNER);
    h.announce("w2", "m", 1, 0); // r1, the head of the queue, is offered to it
    assertThat(openedRequests()).containsExactly("r1");
    h.announce("w3", "m", 1, 0); // one retry at a time: r2 stays in line
    assertThat(openedRequests()).containsExactly("r1");

    h.generate("r3", "m", OWNER);
    assertThat(openedRequests()).as("w3 is free, but r2 came first").containsExactly("r1");
    assertThat(h.on(() -> h.dispatcher.queued())).isEqualTo(2);

    h.run(() -> h.link.lastOpen().accept());
    DispatchHarness.result(r1);
    assertThat(openedRequests()).as("r1 is served: the next in line goes to w3").containsExactly("r1", "r2");
    assertThat(h.on(() -> h.link.lastOpen().workerId())).isEqualTo("w3");
  }

  @Test
  void aHeadThatFindsNoSlotAfterAllStaysFirstInLine() throws Exception {
    start(8);
    h.announce("w", "m", 1, 1);
    Future<TokenStream> r1 = h.generate("r1", "m", OWNER);
    h.generate("r2", "m", OWNER);
    h.announce("w", "m", 1, 0);
    h.run(() -> h.link.lastOpen().refuse(RefuseFrame.Reason.BUSY)); // the freed slot was taken meanwhile
    assertThat(r1.isComplete()).isFalse();
    h.announce("w", "m", 1, 0);
    assertThat(openedRequests()).containsExactly("r1", "r1");
  }

  @Test
  void aFullQueueRefusesWithATimeToComeBack() throws Exception {
    start(2);
    h.announce("w", "m", 1, 1);
    h.generate("r1", "m", OWNER);
    h.generate("r2", "m", OWNER);
    Throwable e = h.failure(h.generate("r3", "m", OWNER));
    assertThat(e).isInstanceOf(QueueFullException.class).hasMessageContaining("2 requests are waiting");
    // Three in line (the two waiting and this one) at the initial 1 s per generation on one slot.
    assertThat(((QueueFullException) e).retryAfterSeconds()).isEqualTo(3);
    assertThat(h.on(() -> h.dispatcher.queued())).isEqualTo(2);
  }

  @Test
  void aWithdrawnRequestLeavesTheQueueAndIsNeverOpened() throws Exception {
    start(8);
    h.announce("w", "m", 1, 1);
    Future<TokenStream> r1 = h.generate("r1", "m", OWNER);
    Future<TokenStream> r2 = h.generate("r2", "m", OWNER);
    h.run(() -> h.dispatcher.withdraw("r1", "the client left"));
    assertThat(h.failure(r1)).isInstanceOf(TokenStreamException.class).hasMessage("the client left")
        .extracting(x -> ((TokenStreamException) x).type()).isEqualTo(StreamErrorType.CANCELLED);
    assertThat(h.on(() -> h.dispatcher.queued())).isEqualTo(1);

    h.announce("w", "m", 1, 0);
    assertThat(openedRequests()).containsExactly("r2");
    assertThat(r2.isComplete()).isFalse();
  }

  @Test
  void aQueuedRequestFailsWhenItsTimeoutPasses() throws Exception {
    start(8);
    h.announce("w", "m", 1, 1);
    Future<TokenStream> f = h.on(() -> h.dispatcher.generate(DispatchHarness.request("r1",
        dev.tokenbus.protocol.StreamConfig.defaults().toBuilder().bufferSize(4).timeoutMs(1000).build()), "m", OWNER));
    h.sweepAfter(500);
    assertThat(f.isComplete()).isFalse();
    h.sweepAfter(1500);
    assertThat(h.failure(f)).isInstanceOf(NoWorkerException.class)
        .hasMessageContaining("no slot became free within timeout_ms (1000 ms)");
    assertThat(h.on(() -> h.dispatcher.queued())).isZero();
  }

  @Test
  void atShutdownWaitingAndNewRequestsAreRefusedWhileOpenStreamsGoOnUntilClosed() throws Exception {
    start(8);
    h.announce("w", "m", 1, 0);
    List<TokenData> got = new ArrayList<>();
    TokenStream open = h.opened("r1", OWNER, got);
    Future<TokenStream> waiting = h.generate("r2", "m", OWNER);
    h.run(() -> h.dispatcher.stopAccepting());
    assertThat(h.failure(waiting)).isInstanceOf(ShuttingDownException.class);
    assertThat(h.failure(h.generate("r3", "m", OWNER))).isInstanceOf(ShuttingDownException.class);
    assertThat(h.failure(h.on(() -> h.dispatcher.resume("r1", 0, OWNER)))).isInstanceOf(ShuttingDownException.class);

    h.run(() -> h.link.frame(tokens("r1", 0, 5)));
    h.until(() -> got.size() == 1);
    assertThat(open.isFinished()).as("an open stream goes on").isFalse();

    h.run(() -> h.dispatcher.close());
    assertThat(h.failure(open.result())).isInstanceOf(TokenStreamException.class)
        .extracting(x -> ((TokenStreamException) x).type()).isEqualTo(StreamErrorType.GATEWAY_SHUTDOWN);
    assertThat(h.on(() -> h.link.sentOf(CancelFrame.class))).extracting(CancelFrame::streamId).containsExactly("r1");
    assertThat(h.on(() -> h.link.closed())).isTrue();
  }

  @Test
  void aBusyWorkerPassesTheRequestOnAndWhenAllAreBusyItWaits() throws Exception {
    start(8);
    h.announce("a", "m", 2, 0);
    h.announce("b", "m", 2, 1);
    Future<TokenStream> f = h.generate("r1", "m", OWNER);
    h.run(() -> h.link.lastOpen().refuse(RefuseFrame.Reason.BUSY));
    assertThat(h.on(() -> h.link.lastOpen().workerId())).isEqualTo("b");
    h.run(() -> h.link.lastOpen().refuse(RefuseFrame.Reason.BUSY));
    assertThat(f.isComplete()).as("busy everywhere: it waits").isFalse();
    assertThat(h.on(() -> h.dispatcher.queued())).isEqualTo(1);

    h.announce("b", "m", 2, 0);
    assertThat(h.on(() -> h.link.lastOpen().workerId())).isEqualTo("b");
    h.run(() -> h.link.lastOpen().accept());
    assertThat(DispatchHarness.result(f).workerEndpoint()).isEqualTo("b");
  }

  @Test
  void aRefusedRequestIsNotOfferedElsewhere() throws Exception {
    start(8);
    h.announce("a", "m", 2, 0);
    h.announce("b", "m", 2, 0);
    Future<TokenStream> f = h.generate("r1", "m", OWNER);
    h.run(() -> h.link.lastOpen().refuse(RefuseFrame.Reason.CONTEXT_LENGTH_EXCEEDED));
    assertThat(h.failure(f)).isInstanceOf(GenerationRefusedException.class);
    assertThat(h.on(() -> h.link.opens.size())).isEqualTo(1);
    assertThat(h.on(() -> h.dispatcher.streams())).isEmpty();
  }

  @Test
  void withoutAWorkerForTheModelTheRequestFailsAtOnce() throws Exception {
    start(8);
    assertThat(h.failure(h.generate("r1", null, OWNER))).isInstanceOf(NoWorkerException.class)
        .hasMessage("no worker is available");
    h.announce("a", "m", 2, 0);
    assertThat(h.failure(h.generate("r2", "other", OWNER))).isInstanceOf(ModelNotFoundException.class);
    assertThat(h.on(() -> h.link.opens)).isEmpty();
  }

  @Test
  void aWorkerWithoutHandlerIsSkippedUntilAProbeFindsItAgain() throws Exception {
    start(8);
    h.announce("a", "m", 2, 0);
    h.announce("b", "m", 2, 1);
    Future<TokenStream> f = h.generate("r1", "m", OWNER);
    h.run(() -> h.link.lastOpen().noAnswer(true));
    h.run(() -> h.link.lastOpen().noAnswer(false));
    assertThat(h.failure(f)).isInstanceOf(NoWorkerException.class)
        .hasMessage("no worker could take the request: b: TIMEOUT at b");
    assertThat(h.on(() -> h.dispatcher.registry().unreachable())).as("no handler, not a timeout").containsExactly("a");

    h.generate("r2", "m", OWNER);
    assertThat(h.on(() -> h.link.lastOpen().workerId())).as("a is not chosen").isEqualTo("b");

    h.run(() -> h.link.answering.add("a"));
    h.sweepAfter(2000);
    assertThat(h.on(() -> h.link.probes)).contains("a");
    assertThat(h.on(() -> h.dispatcher.registry().unreachable())).isEmpty();
  }

  @Test
  void aTokenizerRequestGoesToTheLeastLoadedWorkerThenTheNext() throws Exception {
    start(8);
    h.announce("a", "m", 2, 1);
    h.announce("b", "m", 2, 0);
    JsonObject request = new JsonObject().put("text", "hello");
    Future<JsonObject> answer = h.on(() -> h.dispatcher.tokenizer("m", request));
    FakeWorkerLink.Tokenize first = h.on(() -> h.link.tokenizes.getLast());
    assertThat(first.workerId()).isEqualTo("b");
    h.run(() -> first.answer().fail(new WorkerLink.NoAnswer("TIMEOUT", false)));
    FakeWorkerLink.Tokenize second = h.on(() -> h.link.tokenizes.getLast());
    assertThat(second.workerId()).isEqualTo("a");
    h.run(() -> second.answer().complete(new JsonObject().put("tokens", List.of(1, 2))));
    assertThat(DispatchHarness.result(answer).getJsonArray("tokens")).containsExactly(1, 2);

    Future<JsonObject> bad = h.on(() -> h.dispatcher.tokenizer("m", request));
    h.run(() -> h.link.tokenizes.getLast().answer().fail(new RequestValidationException("text", "text is bad")));
    assertThat(h.failure(bad)).isInstanceOf(RequestValidationException.class);
    assertThat(h.on(() -> h.link.tokenizes.size())).as("a bad request is not tried elsewhere").isEqualTo(3);
  }

  @Test
  void anErrorFromTheWorkerEndsTheStreamWithItsType() throws Exception {
    start(8);
    h.announce("w", "m", 1, 0);
    TokenStream s = h.opened("r1", OWNER, new ArrayList<>());
    h.run(() -> h.link.frame(new ErrorFrame("r1", StreamErrorType.ENGINE_ERROR, "the decode failed")));
    assertThat(h.failure(s.result())).extracting(x -> ((TokenStreamException) x).type()).isEqualTo(StreamErrorType.ENGINE_ERROR);
    assertThat(h.on(() -> h.link.opens.size())).as("not moved").isEqualTo(1);
    assertThat(h.on(() -> h.dispatcher.streams())).isEmpty();
  }
}
