package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.WorkerStatus;
import dev.tokenbus.protocol.frame.AcceptFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.Handover;
import dev.tokenbus.protocol.frame.OpenFrame;
import dev.tokenbus.protocol.frame.RefuseFrame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link WorkerLink} the test drives by hand: it records every OPEN (answered by the test), every
 * frame sent and every tokenizer request, and delivers frames, announcements and departures to the
 * dispatcher on its context. A worker's endpoint is its id, as in the cluster. Claims go to the
 * holders registered in a map shared by the fake links of one test's gateways. Its state is read
 * and changed on the dispatcher's context only.
 */
final class FakeWorkerLink implements WorkerLink {

  /** An OPEN sent to a worker, waiting for the test's answer. */
  record Open(String workerId, OpenFrame frame, Promise<Frame> reply) {

    String wire() {
      return frame.streamId();
    }

    void accept() {
      reply.complete(new AcceptFrame(frame.streamId(), workerId, FakeWorkerLink.nodeOf(workerId), 3));
    }

    void refuse(RefuseFrame.Reason reason) {
      reply.complete(new RefuseFrame(frame.streamId(), reason, reason + " at " + workerId, null));
    }

    /** The worker's address has no handler ({@code noHandler}), or it did not answer in time. */
    void noAnswer(boolean noHandler) {
      reply.fail(new NoAnswer((noHandler ? "NO_HANDLERS" : "TIMEOUT") + " at " + workerId, noHandler));
    }
  }

  /** A frame sent to a worker endpoint. */
  record Sent(String to, Frame frame) {}

  /** A tokenizer request, waiting for the test's answer. */
  record Tokenize(String workerId, JsonObject request, Promise<JsonObject> answer) {}

  /** An embeddings request, waiting for the test's answer. */
  record Embed(String workerId, JsonObject request, Promise<io.vertx.core.buffer.Buffer> answer) {}

  private final Context context;
  private final String endpoint;
  private final Map<String, Reconnects.Holder> claimHolders;
  private final Map<String, Context> holderContexts;
  final List<Open> opens = new ArrayList<>();
  final List<Sent> sent = new ArrayList<>();
  final List<Tokenize> tokenizes = new ArrayList<>();
  final List<Embed> embeds = new ArrayList<>();
  final List<String> probes = new ArrayList<>();
  /** The stream ids of the claims sent to a stream's address, one per try. */
  final List<String> claims = new ArrayList<>();
  /** The stream ids of the claims sent to the address of the gateway that made the stream, one per try. */
  final List<String> gatewayClaims = new ArrayList<>();
  /** Where {@link #claimHolders} keeps the holder of a gateway's own streams: this, then the gateway's prefix. */
  static final String GATEWAY = "gateway:";
  /** What workers answer to claims for the streams they keep, by worker id; a worker not here keeps none. */
  final Map<String, Reconnects.Holder> parkedOn = new java.util.HashMap<>();
  /** Workers whose address has a handler again, as a probe finds. */
  final Set<String> answering = new HashSet<>();
  private Inbox inbox;
  private boolean closed;

  /**
   * @param claimHolders the claim answerers of every gateway in the test, by stream id
   * @param holderContexts the context each of them runs on
   */
  FakeWorkerLink(Context context, String endpoint, Map<String, Reconnects.Holder> claimHolders,
      Map<String, Context> holderContexts) {
    this.context = context;
    this.endpoint = endpoint;
    this.claimHolders = claimHolders;
    this.holderContexts = holderContexts;
  }

  static String nodeOf(String workerId) {
    return "node-" + workerId;
  }

  @Override
  public Future<Void> start(Inbox inbox) {
    this.inbox = inbox;
    return Future.succeededFuture();
  }

  @Override
  public String endpoint() {
    return endpoint;
  }

  @Override
  public String nodeId() {
    return "node-" + endpoint;
  }

  @Override
  public Future<Frame> open(String workerId, OpenFrame open, long timeoutMs) {
    Promise<Frame> reply = Promise.promise();
    opens.add(new Open(workerId, open, reply));
    return reply.future();
  }

  @Override
  public void send(String workerEndpoint, Frame frame) {
    sent.add(new Sent(workerEndpoint, frame));
  }

  @Override
  public Future<Boolean> probe(String workerId, long timeoutMs) {
    probes.add(workerId);
    return Future.succeededFuture(answering.contains(workerId));
  }

  @Override
  public Future<JsonObject> tokenizer(String workerId, JsonObject request, long timeoutMs) {
    Promise<JsonObject> answer = Promise.promise();
    tokenizes.add(new Tokenize(workerId, request, answer));
    return answer.future();
  }

  @Override
  public Future<io.vertx.core.buffer.Buffer> embeddings(String workerId, JsonObject request, long timeoutMs) {
    Promise<io.vertx.core.buffer.Buffer> answer = Promise.promise();
    embeds.add(new Embed(workerId, request, answer));
    return answer.future();
  }

  /** A link failure as {@link EventBusWorkerLink} reports it: no handler there, or no answer in time. */
  static NoAnswer noAnswer(boolean noHandler) {
    return new NoAnswer(noHandler ? "NO_HANDLERS" : "TIMEOUT", noHandler);
  }

  @Override
  public Subscription answerClaims(String sid, Reconnects.Holder holder) {
    claimHolders.put(sid, holder);
    holderContexts.put(sid, context);
    return () -> claimHolders.remove(sid, holder);
  }

  @Override
  public Subscription answerGatewayClaims(String prefix, Reconnects.Holder holder) {
    return answerClaims(GATEWAY + prefix, holder);
  }

  /** Each prefix's cancel handler, as {@link #answerCancels} registers it. */
  private final java.util.Map<String, java.util.function.BiFunction<String, StreamOwner, Future<Boolean>>> cancels =
      new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public Subscription answerCancels(String prefix,
      java.util.function.BiFunction<String, StreamOwner, Future<Boolean>> cancel) {
    cancels.put(prefix, cancel);
    return () -> cancels.remove(prefix, cancel);
  }

  @Override
  public Future<Boolean> cancelAt(String prefix, String sid, StreamOwner owner, long timeoutMs) {
    var cancel = cancels.get(prefix);
    return cancel == null ? Future.succeededFuture(false) : cancel.apply(sid, owner);
  }

  /** Each prefix's event reader, as {@link #answerEventReads} registers it. */
  private final java.util.Map<String, EventBatch.Reader> eventReaders = new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public Subscription answerEventReads(String prefix, EventBatch.Reader reader) {
    eventReaders.put(prefix, reader);
    return () -> eventReaders.remove(prefix, reader);
  }

  @Override
  public Future<EventBatch> readEventsAt(String prefix, String sid, StreamOwner owner, long after, long timeoutMs) {
    EventBatch.Reader reader = eventReaders.get(prefix);
    return reader == null ? Future.failedFuture(new NoAnswer("no gateway " + prefix, true))
        : reader.read(sid, owner, after);
  }

  @Override
  public Future<Handover> claimFromGateway(String prefix, String sid, int lastIndex, StreamOwner claimer,
      long timeoutMs) {
    gatewayClaims.add(sid);
    return ask(GATEWAY + prefix, sid, lastIndex, claimer);
  }

  @Override
  public Future<Handover> claim(String sid, int lastIndex, StreamOwner claimer, long timeoutMs) {
    claims.add(sid);
    return ask(sid, sid, lastIndex, claimer);
  }

  /** Runs the holder registered under {@code key} on its gateway's context and answers on this one, as the event bus would. */
  private Future<Handover> ask(String key, String sid, int lastIndex, StreamOwner claimer) {
    Promise<Handover> answer = Promise.promise();
    Reconnects.Holder holder = claimHolders.get(key);
    if (holder == null) {
      return Future.failedFuture(new NoAnswer("NO_HANDLERS for the claims of " + key, true));
    }
    holderContexts.get(key).runOnContext(v -> {
      Future<Handover> given;
      try {
        given = Future.succeededFuture(holder.giveUp(sid, lastIndex, claimer));
      } catch (RuntimeException e) {
        given = Future.failedFuture(e);
      }
      Future<Handover> g = given;
      context.runOnContext(w -> answer.handle(g));
    });
    return answer.future();
  }

  /** The worker's holder answers at once; a worker without one keeps no stream. */
  @Override
  public Future<Handover> claimParked(String workerId, String sid, int lastIndex, StreamOwner claimer,
      long timeoutMs) {
    Reconnects.Holder holder = parkedOn.get(workerId);
    try {
      if (holder == null) {
        throw StreamNotFoundException.unknown(sid);
      }
      return Future.succeededFuture(holder.giveUp(sid, lastIndex, claimer));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Void> close() {
    closed = true;
    return Future.succeededFuture();
  }

  boolean closed() {
    return closed;
  }

  Map<String, Reconnects.Holder> claimHolders() {
    return claimHolders;
  }

  Map<String, Context> holderContexts() {
    return holderContexts;
  }

  // ---- what the test makes arrive ---------------------------------------------------------------

  void frame(Frame f) {
    inbox.frame(f);
  }

  void status(WorkerStatus s) {
    inbox.status(s, s.toJson().toBuffer().length());
  }

  void nodeLeft(String nodeId) {
    inbox.nodeLeft(nodeId);
  }

  /** The frames of type {@code type} sent so far. */
  <F extends Frame> List<F> sentOf(Class<F> type) {
    return sent.stream().map(Sent::frame).filter(type::isInstance).map(type::cast).toList();
  }

  /** The latest OPEN. */
  Open lastOpen() {
    return opens.getLast();
  }
}
