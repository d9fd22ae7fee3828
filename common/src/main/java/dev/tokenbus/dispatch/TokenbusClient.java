package dev.tokenbus.dispatch;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.WorkerStatus;
import dev.tokenbus.protocol.frame.AcceptFrame;
import dev.tokenbus.protocol.frame.CancelFrame;
import dev.tokenbus.protocol.frame.CreditFrame;
import dev.tokenbus.protocol.frame.EndFrame;
import dev.tokenbus.protocol.frame.ErrorFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.FrameCodec;
import dev.tokenbus.protocol.frame.HeartbeatFrame;
import dev.tokenbus.protocol.frame.OpenFrame;
import dev.tokenbus.protocol.frame.RefuseFrame;
import dev.tokenbus.protocol.frame.TokensFrame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts generations on workers anywhere in the cluster and hands back flow-controlled
 * {@link TokenStream}s. One endpoint address receives the frames of all its streams. Create and
 * use it on one Vert.x context (a gateway verticle's).
 */
public final class TokenbusClient {

  private static final Logger LOG = LoggerFactory.getLogger(TokenbusClient.class);
  private static final long SWEEP_MS = 250;
  private static final long DEADLINE_GRACE_MS = 1000;
  /** Marks a "busy" refusal, after which the request may wait in the queue instead of failing. */
  private static final String BUSY = "busy: ";

  private final Vertx vertx;
  private final Context context;
  private final EventBus bus;
  private final ClusterMembership membership;
  private final ClientOptions options;
  private final String endpoint = Addresses.newGatewayEndpoint();
  private final String idPrefix = UUID.randomUUID().toString().substring(0, 8);
  private final WorkerRegistry registry;
  private final AdmissionQueue<Waiting> queue;
  /** Models whose queue head is being retried now: one retry at a time keeps the queue's order. */
  private final java.util.Set<String> retrying = new java.util.HashSet<>();
  /** Stream ids of the requests being retried from the queue (they go back to its front if still no slot). */
  private final java.util.Set<String> retryingStreams = new java.util.HashSet<>();
  private final Map<String, TokenStream> streams = new HashMap<>();
  /** Each stream's timeout_ms deadline, plus a grace period for the worker to report the timeout itself. */
  private final Map<String, Long> deadlines = new HashMap<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private long nextId;
  private long sweepTimer;
  private boolean closed;

  private TokenbusClient(Vertx vertx, ClusterMembership membership, ClientOptions options) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.bus = vertx.eventBus();
    this.membership = membership;
    this.options = options;
    this.registry = new WorkerRegistry(options.workerExpiryMs());
    this.queue = new AdmissionQueue<>(options.queueSize());
  }

  /** A request waiting for a slot. */
  private record Waiting(TokenStream stream, OpenFrame open, String model, Promise<TokenStream> opened,
      long sinceNanos, long deadlineNanos) {}

  /** Creates a client on the current context and registers its endpoint. */
  public static Future<TokenbusClient> create(Vertx vertx, ClusterMembership membership, ClientOptions options) {
    TokenbusClient c = new TokenbusClient(vertx, membership, options);
    return c.start().map(c);
  }

  private Future<Void> start() {
    FrameCodec.register(bus);
    MessageConsumer<Frame> frames = bus.consumer(endpoint, this::onFrame);
    MessageConsumer<JsonObject> status = bus.consumer(Addresses.WORKER_STATUS, m -> {
      WorkerStatus s = WorkerStatus.fromJson(m.body());
      registry.update(s);
      if (s.freeSlots() > 0) {
        pump();
      }
    });
    consumers.add(frames);
    consumers.add(status);
    membership.onNodeLeft(node -> context.runOnContext(v -> nodeLeft(node)));
    sweepTimer = vertx.setPeriodic(SWEEP_MS, id -> sweep());
    return Future.all(frames.completion(), status.completion()).mapEmpty();
  }

  public String endpoint() {
    return endpoint;
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

  /** The streams open now. */
  public Collection<TokenStream> streams() {
    return streams.values();
  }

  /** A fresh stream id, unique across gateways. */
  public String newStreamId() {
    return idPrefix + "-" + Long.toString(nextId++, 36);
  }

  /**
   * Starts a generation on the best worker for {@code model} (null: any), trying the next one when
   * a worker is busy, gone or slow to answer.
   *
   * @return the stream, or a failure: {@link NoWorkerException} when no worker took it,
   *     {@link ModelNotFoundException} when workers are up but none serves {@code model},
   *     {@link GenerationRefusedException} when the request itself was refused
   */
  public Future<TokenStream> generate(GenerationRequest request, String model) {
    if (closed) {
      return Future.failedFuture(new NoWorkerException("the gateway is shutting down and takes no new request"));
    }
    List<WorkerStatus> candidates = registry.candidates(model);
    if (candidates.isEmpty()) {
      return Future.failedFuture(noCandidate(model));
    }
    String sid = request.id();
    int window = request.config().bufferSize();
    TokenStream stream = new TokenStream(context, sid, window, n -> send(sid, n), reason -> cancel(sid, reason));
    long now = System.nanoTime();
    Waiting w = new Waiting(stream, new OpenFrame(sid, endpoint, membership.nodeId(), window, request), model,
        Promise.promise(), now, now + TimeUnit.MILLISECONDS.toNanos(request.config().timeoutMs()));
    stream.result().onComplete(ar -> {
      forget(sid);
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
    List<WorkerStatus> candidates = registry.candidates(model);
    if (candidates.isEmpty()) {
      return Future.failedFuture(noCandidate(model));
    }
    Promise<JsonObject> answer = Promise.promise();
    askTokenizer(candidates, 0, request, answer);
    return answer.future();
  }

  private void askTokenizer(List<WorkerStatus> candidates, int i, JsonObject request, Promise<JsonObject> answer) {
    if (i == candidates.size()) {
      answer.fail(new NoWorkerException("no worker answered the tokenizer request"));
      return;
    }
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(options.openTimeoutMs());
    bus.<JsonObject>request(Addresses.tokenizer(candidates.get(i).workerId()), request, delivery).onComplete(ar -> {
      if (ar.succeeded()) {
        answer.complete(ar.result().body());
      } else if (ar.cause() instanceof ReplyException re && re.failureCode() == 400) {
        String message = String.valueOf(re.getMessage());
        int colon = message.indexOf(": ");
        answer.fail(new RequestValidationException(colon > 0 ? message.substring(0, colon) : null,
            colon > 0 ? message.substring(colon + 2) : message));
      } else {
        LOG.debug("tokenizer request to {} failed: {}", candidates.get(i).workerId(), ar.cause().toString());
        askTokenizer(candidates, i + 1, request, answer);
      }
    });
  }

  private RuntimeException noCandidate(String model) {
    boolean otherModelsServed = model != null && registry.all().stream().anyMatch(w -> !model.equals(w.model()));
    return otherModelsServed ? new ModelNotFoundException(model)
        : new NoWorkerException(model == null ? "no worker is available" : "no worker serves model '" + model + "'");
  }

  /** Tries the workers in order; when all are busy, the request waits in the queue. */
  private void attempt(Waiting w, List<WorkerStatus> candidates) {
    String sid = w.open().streamId();
    streams.put(sid, w.stream());
    deadlines.put(sid, System.nanoTime()
        + TimeUnit.MILLISECONDS.toNanos(w.open().request().config().timeoutMs() + DEADLINE_GRACE_MS));
    w.stream().setGatewayQueueMs((System.nanoTime() - w.sinceNanos()) / 1e6);
    tryOpen(w, candidates, 0, null);
  }

  private void enqueue(Waiting w) {
    forget(w.open().streamId());
    if (!queue.offer(w.model(), w)) {
      int slots = registry.candidates(w.model()).stream().mapToInt(WorkerStatus::slots).sum();
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
      List<WorkerStatus> free = registry.candidates(model).stream().filter(c -> c.freeSlots() > 0).toList();
      if (free.isEmpty()) {
        continue;
      }
      Waiting w = queue.poll(model);
      if (w != null) {
        retrying.add(key);
        retryingStreams.add(w.open().streamId());
        w.opened().future().onComplete(ar -> {
          retryingStreams.remove(w.open().streamId());
          retrying.remove(key);
          pump();
        });
        attempt(w, free);
      }
    }
  }

  private void tryOpen(Waiting w, List<WorkerStatus> candidates, int i, String lastProblem) {
    TokenStream stream = w.stream();
    OpenFrame open = w.open();
    Promise<TokenStream> opened = w.opened();
    if (i == candidates.size()) {
      if (lastProblem != null && lastProblem.startsWith(BUSY)) {
        if (retryingStreams.remove(open.streamId())) {
          forget(open.streamId());
          queue.pushBack(w.model(), w); // still first in line
          retrying.remove(w.model() == null ? "" : w.model());
        } else {
          enqueue(w);
        }
        return;
      }
      forget(open.streamId());
      opened.fail(new NoWorkerException("no worker could take the request: " + lastProblem));
      return;
    }
    WorkerStatus worker = candidates.get(i);
    DeliveryOptions delivery = FrameCodec.options().setSendTimeout(options.openTimeoutMs());
    bus.<Frame>request(worker.workerId(), open, delivery).onComplete(ar -> {
      if (ar.succeeded()) {
        switch (ar.result().body()) {
          case AcceptFrame accept -> {
            registry.reserved(worker.workerId());
            stream.setWorker(accept.workerEndpoint(), accept.workerNode());
            if (closed) {
              stream.cancel("gateway shutting down");
            }
            opened.complete(stream);
          }
          case RefuseFrame refuse when refuse.reason() == RefuseFrame.Reason.BUSY ->
              tryOpen(w, candidates, i + 1, BUSY + worker.workerId() + ": " + refuse.message());
          case RefuseFrame refuse when refuse.reason().retryElsewhere() ->
              tryOpen(w, candidates, i + 1, worker.workerId() + ": " + refuse.message());
          case RefuseFrame refuse -> {
            forget(open.streamId());
            opened.fail(new GenerationRefusedException(refuse));
          }
          default -> opened.fail(new IllegalStateException("unexpected answer to OPEN: " + ar.result().body()));
        }
      } else {
        String problem = ar.cause() instanceof ReplyException re ? re.failureType() + " " + re.getMessage()
            : ar.cause().toString();
        LOG.debug("OPEN {} to {} failed: {}", open.streamId(), worker.workerId(), problem);
        if (ar.cause() instanceof ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS) {
          registry.remove(worker.workerId());
        }
        tryOpen(w, candidates, i + 1, worker.workerId() + ": " + problem);
      }
    });
  }

  private void forget(String sid) {
    streams.remove(sid);
    deadlines.remove(sid);
  }

  private void send(String sid, int credits) {
    TokenStream s = streams.get(sid);
    if (s != null && s.workerEndpoint() != null) {
      bus.send(s.workerEndpoint(), new CreditFrame(sid, credits), FrameCodec.options());
    }
  }

  private void cancel(String sid, String reason) {
    TokenStream s = streams.get(sid);
    if (s != null && s.workerEndpoint() != null) {
      bus.send(s.workerEndpoint(), new CancelFrame(sid, reason), FrameCodec.options());
    }
  }

  private void onFrame(Message<Frame> msg) {
    Frame f = msg.body();
    TokenStream s = streams.get(f.streamId());
    if (s == null) {
      return; // a stream that already ended: late frames are expected after a cancel
    }
    switch (f) {
      case TokensFrame t -> s.onTokens(t);
      case EndFrame e -> s.onEnd(e);
      case ErrorFrame e -> s.onError(e);
      case HeartbeatFrame h -> s.onHeartbeat(h);
      default -> LOG.warn("unexpected {} on gateway endpoint", f.getClass().getSimpleName());
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    queue.removeIf(w -> now - w.deadlineNanos() > 0, w -> w.opened().fail(new NoWorkerException(
        "no slot became free within timeout_ms (" + w.open().request().config().timeoutMs() + " ms)")));
    pump();
    long limit = TimeUnit.MILLISECONDS.toNanos(options.inactivityMs());
    for (TokenStream s : new ArrayList<>(streams.values())) {
      if (s.isFinished()) {
        continue;
      }
      if (now - s.lastActivityNanos() > limit) {
        LOG.warn("stream {}: nothing from worker {} for {} ms; giving up", s.streamId(), s.workerEndpoint(),
            options.inactivityMs());
        s.fail("worker_unresponsive", "no token or heartbeat from the worker for " + options.inactivityMs() + " ms");
      } else if (now - deadlines.getOrDefault(s.streamId(), Long.MAX_VALUE) > 0) {
        // The worker should have ended it with finish_reason timeout; end it here and cancel there.
        s.fail("timeout", "timeout_ms elapsed and the worker did not end the stream");
      }
    }
  }

  private void nodeLeft(String node) {
    registry.removeNode(node);
    for (TokenStream s : new ArrayList<>(streams.values())) {
      if (node.equals(s.workerNode()) && !s.isFinished()) {
        s.fail("worker_lost", "the worker's node left the cluster");
      }
    }
  }

  /** Stops taking new generations; the open streams go on. */
  public void stopAccepting() {
    closed = true;
  }

  /** Ends every stream still open with a {@code gateway_shutdown} error (cancelling it on its worker) and unregisters. */
  public Future<Void> close() {
    closed = true;
    vertx.cancelTimer(sweepTimer);
    queue.removeIf(w -> true, w -> w.opened().fail(new NoWorkerException("the gateway is shutting down")));
    for (TokenStream s : new ArrayList<>(streams.values())) {
      s.fail("gateway_shutdown", "the gateway is shutting down");
    }
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }
}
