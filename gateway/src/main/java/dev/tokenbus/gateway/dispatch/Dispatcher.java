package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.flow.TokenStreamException;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.WorkerStatus;
import dev.tokenbus.protocol.frame.AcceptFrame;
import dev.tokenbus.protocol.frame.CancelFrame;
import dev.tokenbus.protocol.frame.CreditFrame;
import dev.tokenbus.protocol.frame.EndFrame;
import dev.tokenbus.protocol.frame.ErrorFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.Handover;
import dev.tokenbus.protocol.frame.HeartbeatFrame;
import dev.tokenbus.protocol.frame.OpenFrame;
import dev.tokenbus.protocol.frame.RefuseFrame;
import dev.tokenbus.protocol.frame.StreamClaim;
import dev.tokenbus.protocol.frame.TokensFrame;
import dev.tokenbus.trace.DispatchTrace;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts generations on workers anywhere in the cluster and hands back flow-controlled
 * {@link TokenStream}s. One endpoint address receives the frames of all its streams. Create and
 * use it on one Vert.x context (a gateway verticle's).
 *
 * <p>This class is the dispatch: it offers a request to the workers its {@link DispatchPolicy}
 * names among those the {@link WorkerRegistry} lists, opens legs on them, and queues requests while
 * every slot is busy ({@link AdmissionQueue}). The streams it holds are in a {@link StreamTable};
 * {@link Failover} moves a stream whose worker failed; {@link Reconnects} hands a stream to the
 * gateway its client came back to. All of them reach workers and other gateways through a
 * {@link WorkerLink} ({@link EventBusWorkerLink} in the cluster), never the event bus directly.
 *
 * <p>Every stream has a {@link StreamOwner}, the tenant that opened it: only the owner lists
 * ({@link #streamsOf}), resumes ({@link #resume}) and cancels ({@link #cancel(String, StreamOwner, String)})
 * it; to anyone else it is as unknown as an id never issued.
 */
public final class Dispatcher {

  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
  private static final long SWEEP_MS = 100;
  /** Marks a "busy" refusal, after which the request may wait in the queue instead of failing. */
  private static final String BUSY = "busy: ";

  private final Vertx vertx;
  private final Context context;
  private final WorkerLink link;
  private final DispatchOptions options;
  private final DispatchPolicy policy;
  private final StreamIds ids = new StreamIds();
  private final WorkerRegistry registry;
  private final AdmissionQueue<PendingOpen> queue;
  /** Models whose queue head is being retried now: one retry at a time keeps the queue's order. */
  private final Set<String> retrying = new HashSet<>();
  /** Stream ids of the requests being retried from the queue (they go back to its front if still no slot). */
  private final Set<String> retryingStreams = new HashSet<>();
  private final StreamTable table = new StreamTable();
  private final Failover failover;
  private final Reconnects reconnects;
  private final WorkerRequests requests;
  private final long tokenizerTimeoutMs;
  private final Reachability reachability;
  private long sweepTimer;
  private boolean closed;
  private BiFunction<String, StreamOwner, Future<Boolean>> localCancel;
  private EventBatch.Reader localEvents;
  private WorkerLink.Subscription eventAnswers;
  private WorkerLink.Subscription cancelAnswers;
  private java.util.function.LongConsumer dispatched = nanos -> { };

  private Dispatcher(Vertx vertx, WorkerLink link, DispatchOptions options) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.link = link;
    this.options = options;
    this.policy = DispatchPolicy.of(options);
    this.registry = new WorkerRegistry(options.workerExpiryMs());
    this.queue = new AdmissionQueue<>(options.queueSize());
    this.reachability = new Reachability(link, registry, this::pump);
    this.requests = new WorkerRequests(registry, reachability);
    this.tokenizerTimeoutMs = options.openTimeoutMs();
    this.reconnects = new Reconnects(vertx, link, options.resumeGraceMs(), Reconnects.CLAIM_PATIENCE_MS, this::giveUp,
        () -> registry.all().stream().map(WorkerStatus::workerId).toList(), ids.prefix());
    this.failover = new Failover(table, registry, policy, link, options.inactivityMs(), this::attempt);
  }

  /** Creates a dispatcher on the current context that reaches the cluster's workers over its event bus. */
  public static Future<Dispatcher> create(Vertx vertx, ClusterMembership membership, DispatchOptions options) {
    return create(vertx, new EventBusWorkerLink(vertx, membership), options);
  }

  /** Creates a dispatcher on the current context that reaches workers through {@code link}, and starts the link. */
  static Future<Dispatcher> create(Vertx vertx, WorkerLink link, DispatchOptions options) {
    Dispatcher c = new Dispatcher(vertx, link, options);
    return c.start().map(c);
  }

  private Future<Void> start() {
    sweepTimer = vertx.setPeriodic(SWEEP_MS, id -> sweep(System.nanoTime()));
    return link.start(new WorkerLink.Inbox() {
      @Override
      public void frame(Frame frame) {
        onFrame(frame);
      }

      @Override
      public void status(WorkerStatus s, int bytes) {
        registry.received(bytes);
        registry.update(s);
        if (s.freeSlots() > 0) {
          pump();
        }
      }

      @Override
      public void nodeLeft(String nodeId) {
        reconnects.memberLeft();
        failover.nodeLeft(nodeId);
      }
    }).onSuccess(v -> reconnects.start());
  }

  public String endpoint() {
    return link.endpoint();
  }

  /** How long a drain may take to move a worker's streams before the operator's call gives up waiting. */
  static final long DRAIN_ANSWER_MS = 120_000;

  /**
   * Asks worker {@code workerId} to drain: it takes no new work and moves its running streams away
   * (with their KV cells to a compatible worker, else by replay; see the worker's drain mode). Completes
   * with the worker's account ({@code handed_off}, {@code replayed}, {@code staying}, {@code ended}); fails
   * with {@link WorkerNotFoundException} for a worker this gateway does not know.
   */
  public Future<io.vertx.core.json.JsonObject> drainWorker(String workerId) {
    if (registry.modelOf(workerId) == null) {
      return Future.failedFuture(new WorkerNotFoundException("no worker '" + workerId + "' is known here (see the"
          + " workers of GET /v1/status)"));
    }
    return vertx.eventBus().<io.vertx.core.json.JsonObject>request(dev.tokenbus.protocol.Addresses.handoff(workerId),
        new io.vertx.core.json.JsonObject().put("op", "drain"),
        new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(DRAIN_ANSWER_MS))
        .map(io.vertx.core.eventbus.Message::body);
  }

  public WorkerRegistry registry() {
    return registry;
  }

  /** Requests waiting for a free slot now, all models together. */
  public int queued() {
    int n = 0;
    for (String model : queue.waitingModels()) {
      n += queue.size(model);
    }
    return n;
  }

  /** Why streams move to another worker (a worker lost, silent or shutting down), as metric labels. */
  public static List<StreamErrorType> moveReasons() {
    return Failover.MOVE_REASONS;
  }

  /** How many liveness sweeps went through the stream table (most of a steady cluster's do not). */
  long livenessScans() {
    return failover.scans();
  }

  /** Streams moved to another worker for {@code reason} (one of {@link #moveReasons()}) since the start; any thread. */
  public long moves(StreamErrorType reason) {
    return failover.moves(reason);
  }

  /** The streams open now, every owner's. */
  public Collection<TokenStream> streams() {
    return table.streams();
  }

  /** The stream ids of the requests waiting for a slot now, every owner's. Any thread: a weakly consistent view. */
  public List<String> waiting() {
    return table.waiting();
  }

  /** The streams open now that {@code owner} opened. */
  public List<TokenStream> streamsOf(StreamOwner owner) {
    return table.ownedBy(owner);
  }

  /**
   * Cancels open stream {@code sid} held here (streaming, or parked for a reconnect) when
   * {@code owner} opened it.
   *
   * @return whether it did; false for an id unknown here, a stream that ended, or another owner's
   */
  public boolean cancel(String sid, StreamOwner owner, String reason) {
    TokenStream s = table.stream(sid);
    if (s == null || s.isFinished() || !table.owns(owner, sid)) {
      return false;
    }
    s.cancel(reason);
    return true;
  }

  /**
   * Runs {@code cancel} for the cancel requests that reach this gateway for its own work (see
   * {@link #cancelWherever}); one handler per gateway, set once.
   */
  public void answerCancels(BiFunction<String, StreamOwner, Future<Boolean>> cancel) {
    if (localCancel != null) {
      throw new IllegalStateException("cancel requests are answered already");
    }
    localCancel = cancel;
    cancelAnswers = link.answerCancels(ids.prefix(), cancel);
  }

  /**
   * Answers with {@code reader} the reads of this gateway's event logs that reach it (see
   * {@link #readEventsWherever}); one reader per gateway, set once.
   */
  public void answerEventReads(EventBatch.Reader reader) {
    if (localEvents != null) {
      throw new IllegalStateException("event reads are answered already");
    }
    localEvents = reader;
    eventAnswers = link.answerEventReads(ids.prefix(), reader);
  }

  /**
   * Reads the events after {@code after} of {@code owner}'s work {@code sid}, here or at the gateway
   * that made the id, as {@link EventBatch.Reader#read} says; a gateway that is gone, or does not
   * answer within its wait and the open timeout, keeps no such log.
   */
  public Future<EventBatch> readEventsWherever(String sid, StreamOwner owner, long after) {
    if (!StreamIds.wellFormed(sid)) {
      return Future.failedFuture(StreamNotFoundException.unknown("(malformed)"));
    }
    String prefix = StreamIds.prefixOf(sid);
    if (prefix.equals(ids.prefix())) {
      return localEvents == null ? Future.failedFuture(StreamNotFoundException.unknown(sid))
          : localEvents.read(sid, owner, after);
    }
    return link.readEventsAt(prefix, sid, owner, after, EventBatch.WAIT_MS + options.openTimeoutMs())
        .recover(e -> Future.failedFuture(e instanceof WorkerLink.NoAnswer
            ? new StreamNotFoundException("the gateway that runs " + sid + " did not answer (it may be gone)") : e));
  }

  /**
   * Cancels the work of {@code owner} under stream id {@code sid}, here or at the gateway that made
   * the id: true when that gateway had such work and cancelled it; false when it had none, or is
   * gone, or did not answer within the open timeout.
   */
  public Future<Boolean> cancelWherever(String sid, StreamOwner owner) {
    if (!StreamIds.wellFormed(sid)) {
      return Future.succeededFuture(false);
    }
    String prefix = StreamIds.prefixOf(sid);
    if (prefix.equals(ids.prefix())) {
      return localCancel == null ? Future.succeededFuture(false) : localCancel.apply(sid, owner);
    }
    return link.cancelAt(prefix, sid, owner, options.openTimeoutMs());
  }

  /** A fresh stream id, unique across gateways and unguessable (see {@link StreamIds}). */
  public String newStreamId() {
    return ids.next();
  }

  /**
   * Starts a generation on the best worker for {@code model} (null: any), trying the next one when
   * a worker is busy, gone or slow to answer.
   *
   * @param owner the tenant the stream belongs to
   * @return the stream, or a failure: {@link NoWorkerException} when no worker took it,
   *     {@link ModelNotFoundException} when workers are up but none serves {@code model},
   *     {@link GenerationRefusedException} when the request itself was refused
   */
  public Future<TokenStream> generate(GenerationRequest request, String model, StreamOwner owner) {
    return start(request, model, owner, List.of(), request.id());
  }

  /**
   * Continues a stream that this gateway or another one started, whose client reconnected with the
   * index of the last token it received (-1: none). The gateway holding the stream gives it up
   * (it must be {@code owner}'s and parked: its client went away) and tells its request and the
   * tokens received; a worker replays those up to {@code lastIndex} and the stream goes on from
   * {@code lastIndex + 1}.
   *
   * @return the stream, or a failure: {@link StreamNotFoundException} when no gateway holds it for
   *     {@code owner} (any more), {@link StreamInUseException} when it still streams to its client
   */
  public Future<TokenStream> resume(String streamId, int lastIndex, StreamOwner owner) {
    if (closed) {
      return Future.failedFuture(new ShuttingDownException("the gateway is shutting down and takes no new request"));
    }
    return reconnects.claim(streamId, lastIndex, owner, table.has(streamId)).compose(h -> {
      LOG.info("stream {} resumes here after token {}", streamId, lastIndex);
      return start(h.open().request(), h.model(), owner, h.open().resume(), streamId + "@" + ids.prefix());
    });
  }

  /**
   * Gives up a stream to the gateway where its client came back, after token {@code last}; answers
   * a claim. Only the owner's claim finds the stream; only a parked one is given up, so that a
   * stream still streaming to its client is never taken from it.
   */
  private Handover giveUp(String sid, int last, StreamOwner claimer) {
    if (!table.owns(claimer, sid)) {
      throw StreamNotFoundException.unknown(sid);
    }
    if (!reconnects.isParked(sid)) {
      throw new StreamInUseException(sid);
    }
    TokenStream s = table.stream(sid);
    Route r = table.route(sid);
    if (s == null || s.state() == TokenStream.State.FAILED || s.state() == TokenStream.State.ENDED) {
      throw StreamNotFoundException.unknown(sid);
    }
    List<Integer> received = s.receivedTokenIds();
    if (last + 1 > received.size()) {
      throw new StreamNotFoundException(StreamClaim.tooFewTokens(sid, received.size(), last));
    }
    OpenFrame open = new OpenFrame(sid, null, null, s.window(),
        r.request.withConfig(r.request.config().withRemainingTimeout(r.deadlineNanos, System.nanoTime())),
        received.subList(0, last + 1));
    reconnects.unpark(sid);
    s.cancel("the client resumed the stream on another connection");
    return new Handover(open, r.model);
  }

  /**
   * Keeps a stream whose client went away, for the grace period of {@link DispatchOptions#resumeGraceMs},
   * so that the client can {@link #resume} it; cancels it after that, or at once without a grace
   * period. The caller has detached its consumer: the stream takes no token, so its worker pauses
   * once the window is used up.
   */
  public void park(TokenStream s) {
    if (!table.has(s.streamId())) {
      s.cancel("client disconnected");
      return;
    }
    reconnects.park(s);
  }

  /**
   * Tells {@code observer}, for each new request (not a stream moved or resumed), the nanoseconds
   * from this dispatcher taking it to a worker accepting its OPEN, queue wait included.
   */
  public void onDispatched(java.util.function.LongConsumer observer) {
    this.dispatched = observer;
  }

  /** Whether streams whose client went away are kept for a reconnect (a grace period is configured). */
  public boolean keepsStreamsForReconnect() {
    return reconnects.enabled();
  }

  /** Whether a stream waits for its client to come back. */
  public boolean isParked(String streamId) {
    return reconnects.isParked(streamId);
  }

  private Future<TokenStream> start(GenerationRequest request, String model, StreamOwner owner, List<Integer> resume,
      String wire) {
    if (closed) {
      return Future.failedFuture(new ShuttingDownException("the gateway is shutting down and takes no new request"));
    }
    List<WorkerStatus> candidates = policy.candidates(request, registry.eligible(model));
    if (candidates.isEmpty()) {
      return Future.failedFuture(registry.noCandidate(model));
    }
    if (request.config().seed() == null) {
      // Chosen here, not by the worker, so that a stream that moves samples on with the same seed.
      request = request.withConfig(request.config().withSeed(ThreadLocalRandom.current().nextLong(0, 1L << 31)));
    }
    String sid = request.id();
    int window = request.config().bufferSize();
    TokenStream stream = new TokenStream(context, sid, window, n -> send(sid, n), reason -> cancel(sid, reason));
    long now = System.nanoTime();
    OpenFrame.Resumable resumable = reconnects.resumable(owner);
    PendingOpen w = new PendingOpen(stream, new OpenFrame(wire, link.endpoint(), link.nodeId(), window, request,
        resume, resumable), model, Promise.promise(), now, request.config().deadlineNanos(now),
        !resume.isEmpty() || !wire.equals(sid));
    Route route = new Route(stream, request, model, owner, resumable, w.deadlineNanos(), wire);
    table.add(route);
    WorkerLink.Subscription claims = reconnects.listen(sid);
    w.opened().future().onFailure(e -> {
      table.remove(route);
      if (claims != null) {
        claims.close();
      }
    });
    stream.result().onComplete(ar -> {
      table.remove(route);
      reconnects.unpark(sid);
      if (claims != null) {
        claims.close();
      }
      queue.served((System.nanoTime() - w.sinceNanos()) / 1e9);
      pump(); // a slot may have freed
    });
    if (candidates.stream().noneMatch(c -> c.freeSlots() > 0) || queue.size(model) > 0) {
      enqueue(w); // no slot anywhere, or others wait already: first come, first served
    } else {
      attempt(w, candidates);
    }
    return w.opened().future();
  }

  /**
   * Asks a worker of {@code model} (null: any) to tokenize or detokenize: request/reply on the
   * worker's tokenizer address, taking the least loaded worker; the next one is tried when a worker
   * does not answer. Fails like {@link #generate} when no worker serves the model, and with
   * {@link dev.tokenbus.protocol.RequestValidationException} when the worker finds the request bad.
   */
  public Future<JsonObject> tokenizer(String model, JsonObject request) {
    return requests.ask(model, registry.eligible(model), "tokenizer", true,
        worker -> link.tokenizer(worker, request, tokenizerTimeoutMs));
  }

  /**
   * Asks a worker of {@code model} (null: any) that computes embeddings for them: request/reply on
   * its embeddings address ({@link dev.tokenbus.protocol.EmbeddingsWire}), the least loaded worker
   * first, the next one only when a worker is gone (a worker that is slow to answer is busy: its
   * request is not repeated elsewhere). Fails like {@link #generate} when no worker serves the model;
   * with {@link dev.tokenbus.protocol.RequestValidationException} when its workers compute no
   * embeddings or the worker finds the request bad, {@link QueueFullException} when its queue is full.
   *
   * @param timeoutMs how long a worker may take to answer
   */
  public Future<Buffer> embeddings(String model, JsonObject request, long timeoutMs) {
    List<WorkerStatus> eligible = registry.eligible(model);
    List<WorkerStatus> serving = eligible.stream().filter(s -> s.embeddingSize() > 0).toList();
    if (!eligible.isEmpty() && serving.isEmpty()) {
      return Future.failedFuture(new dev.tokenbus.protocol.RequestValidationException("model",
          (model == null ? "no model here" : "model '" + model + "'") + " computes no embeddings"
              + (eligible.stream().allMatch(WorkerStatus::simulated) ? " (its workers run the simulated engine)"
                  : " (its workers run the simulated engine, llama.cpp b4916, or a version without embeddings)")));
    }
    return requests.ask(model, serving, "embeddings", false, worker -> link.embeddings(worker, request, timeoutMs));
  }

  /** Tries the workers in order; when all are busy, the request waits in the queue. */
  private void attempt(PendingOpen w, List<WorkerStatus> candidates) {
    table.open(w.sid());
    if (!w.isMove()) {
      w.stream().setGatewayQueueMs((System.nanoTime() - w.sinceNanos()) / 1e6);
    }
    tryOpen(w, candidates, 0, null);
  }

  private void enqueue(PendingOpen w) {
    table.unlist(w.sid());
    if (w.isMove()) {
      queue.pushBack(w.model(), w); // it was running already: first in line
      return;
    }
    if (!queue.offer(w.model(), w)) {
      int slots = registry.eligible(w.model()).stream().mapToInt(WorkerStatus::slots).sum();
      w.opened().fail(new QueueFullException("every slot is busy and " + options.queueSize()
          + " requests are waiting already", queue.retryAfterSeconds(w.model(), slots)));
    }
  }

  /** Retries the oldest waiting request of every model that has a free slot now. */
  private void pump() {
    for (String model : queue.waitingModels()) {
      String key = model == null ? "" : model;
      if (retrying.contains(key)) {
        continue;
      }
      if (registry.eligible(model).stream().noneMatch(c -> c.freeSlots() > 0)) {
        continue;
      }
      PendingOpen next = queue.poll(model);
      while (next != null && next.opened().future().isComplete()) {
        next = queue.poll(model); // answered already (withdrawn, refused): nothing to open
      }
      PendingOpen w = next;
      if (w != null) {
        List<WorkerStatus> free = policy.candidates(w.open().request(), registry.eligible(model)).stream()
            .filter(c -> c.freeSlots() > 0).toList();
        retrying.add(key);
        retryingStreams.add(w.sid());
        w.opened().future().onComplete(ar -> {
          retryingStreams.remove(w.sid());
          retrying.remove(key);
          pump();
        });
        attempt(w, free);
      }
    }
  }

  private void tryOpen(PendingOpen w, List<WorkerStatus> candidates, int i, String lastProblem) {
    TokenStream stream = w.stream();
    OpenFrame open = w.open();
    Promise<TokenStream> opened = w.opened();
    if (i == candidates.size()) {
      if (lastProblem != null && lastProblem.startsWith(BUSY)) {
        if (retryingStreams.remove(w.sid())) {
          table.unlist(w.sid());
          queue.pushBack(w.model(), w); // still first in line
          retrying.remove(w.model() == null ? "" : w.model());
        } else {
          enqueue(w);
        }
        return;
      }
      table.unlist(w.sid());
      opened.tryFail(new NoWorkerException("no worker could take the request: " + lastProblem));
      return;
    }
    WorkerStatus worker = candidates.get(i);
    dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.OPEN_SENT);
    // Counted as taken from now on, not from its ACCEPT, so that a burst sent before any answer
    // spreads over the workers; the worker's next announcement replaces the guess either way.
    registry.reserved(worker.workerId());
    long sentNanos = DispatchTrace.ENABLED ? System.nanoTime() : 0;
    link.open(worker.workerId(), open, options.openTimeoutMs()).onComplete(ar -> {
      if (ar.succeeded()) {
        switch (ar.result()) {
          case AcceptFrame accept -> {
            dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.ACCEPTED);
            DispatchTrace.gateway(open.streamId(), w.sinceNanos(), sentNanos, System.nanoTime());
            if (!w.isMove()) {
              dispatched.accept(System.nanoTime() - w.sinceNanos());
            }
            stream.setWorker(accept.workerEndpoint(), accept.workerNode());
            failover.accepted(accept.workerEndpoint(), w.deadlineNanos());
            stream.setPromptTokens(accept.promptTokens());
            if (stream.isFinished()) {
              // Cancelled while a move was being opened: the new leg's worker must stop too.
              link.send(accept.workerEndpoint(), new CancelFrame(open.streamId(), "cancelled"));
            } else if (closed) {
              stream.cancel("gateway shutting down");
            }
            if (!opened.tryComplete(stream)) {
              // Withdrawn (its client left) while this OPEN was on its way: nobody takes the stream.
              stream.cancel("the request was withdrawn");
            }
          }
          case RefuseFrame refuse when refuse.reason() == RefuseFrame.Reason.BUSY ->
              tryOpen(w, candidates, i + 1, BUSY + worker.workerId() + ": " + refuse.message());
          case RefuseFrame refuse when refuse.reason().retryElsewhere() ->
              tryOpen(w, candidates, i + 1, worker.workerId() + ": " + refuse.message());
          case RefuseFrame refuse -> {
            table.unlist(w.sid());
            opened.tryFail(new GenerationRefusedException(refuse));
          }
          default -> {
            table.unlist(w.sid());
            opened.tryFail(new IllegalStateException("unexpected answer to OPEN: " + ar.result()));
          }
        }
      } else {
        String problem = ar.cause().getMessage();
        LOG.debug("OPEN {} to {} failed: {}", open.streamId(), worker.workerId(), problem);
        if (ar.cause() instanceof WorkerLink.NoAnswer none && none.noHandler()) {
          reachability.lost(worker.workerId(), problem);
        }
        // The worker may only be late (stopped, or behind a slow link) and take this OPEN after all:
        // it is told to drop the leg, and the next worker opens it under a fresh wire id, so that
        // nothing the late one sends reaches the stream.
        link.send(worker.workerId(), new CancelFrame(open.streamId(), "no answer to OPEN in time: " + problem));
        tryOpen(w.onWire(table.renewWire(w.sid())), candidates, i + 1, worker.workerId() + ": " + problem);
      }
    });
  }

  private void send(String sid, int credits) {
    Route r = table.live(sid);
    if (r != null) {
      link.send(r.stream.workerEndpoint(), new CreditFrame(r.wire, credits));
    }
  }

  private void cancel(String sid, String reason) {
    Route r = table.live(sid);
    if (r != null) {
      link.send(r.stream.workerEndpoint(), new CancelFrame(r.wire, reason));
    }
  }

  private void onFrame(Frame f) {
    if (f instanceof HeartbeatFrame h && h.fromWorker()) {
      failover.workerHeard(h.streamId(), h.generated(), System.nanoTime());
      return;
    }
    TokenStream s = table.byWire(f.streamId());
    if (s == null) {
      return; // a stream that already ended: late frames are expected after a cancel
    }
    failover.heard(s, System.nanoTime());
    switch (f) {
      case TokensFrame t -> s.onTokens(t);
      case EndFrame e -> s.onEnd(e);
      case ErrorFrame e when e.type() == StreamErrorType.WORKER_SHUTDOWN ->
          failover.move(s, e.type(), e.message(), e.moveTo());
      case ErrorFrame e -> s.onError(e);
      case HeartbeatFrame h -> s.onHeartbeat(h);
      default -> LOG.warn("unexpected {} on gateway endpoint", f.getClass().getSimpleName());
    }
  }

  /**
   * What runs every {@value #SWEEP_MS} ms, at {@code now} ({@link System#nanoTime} based): requests
   * whose timeout_ms passed while queued fail, queued requests go to slots that freed, the
   * {@link Failover#sweep liveness sweep}, the {@link Reachability#sweep probes}.
   */
  void sweep(long now) {
    queue.removeIf(w -> now - w.deadlineNanos() > 0, w -> w.opened().fail(new NoWorkerException(
        "no slot became free within timeout_ms (" + w.open().request().config().timeoutMs() + " ms)")));
    pump();
    failover.sweep(now);
    reachability.sweep(now);
  }

  /**
   * Stops taking new generations; the open streams go on. Requests still waiting for a slot are
   * refused at once ({@link ShuttingDownException}): none would start anyway.
   */
  public void stopAccepting() {
    closed = true;
    queue.removeIf(w -> !w.isMove(), w -> w.opened().fail(new ShuttingDownException(
        "the gateway is shutting down and takes no new request")));
  }

  /**
   * Withdraws generation {@code sid} whose client let go before it was opened: a request waiting
   * for a slot leaves the queue at once, its future failing with a {@code cancelled}
   * {@link TokenStreamException}. Does nothing for a generation not waiting (one being opened is
   * the caller's to cancel once its future completes).
   */
  public void withdraw(String sid, String reason) {
    queue.removeIf(w -> !w.isMove() && w.sid().equals(sid), w -> w.opened().fail(
        new TokenStreamException(StreamErrorType.CANCELLED, reason)));
  }

  /** Ends every stream still open with a {@code gateway_shutdown} error (cancelling it on its worker) and unregisters. */
  public Future<Void> close() {
    closed = true;
    vertx.cancelTimer(sweepTimer);
    queue.removeIf(w -> true, w -> w.opened().fail(new ShuttingDownException("the gateway is shutting down")));
    for (Route r : table.snapshot()) {
      r.stream.fail(StreamErrorType.GATEWAY_SHUTDOWN, "the gateway is shutting down");
    }
    reconnects.stop();
    if (cancelAnswers != null) {
      cancelAnswers.close();
    }
    if (eventAnswers != null) {
      eventAnswers.close();
    }
    return link.close();
  }
}
