package dev.tokenbus.worker;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.Drain;
import dev.tokenbus.engine.AdmissionException;
import dev.tokenbus.engine.Embedder;
import dev.tokenbus.engine.Engine;
import dev.tokenbus.engine.EngineStats;
import dev.tokenbus.flow.CreditedWriteStream;
import dev.tokenbus.flow.FrameBatcher;
import dev.tokenbus.metrics.TokenbusMetrics;
import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.protocol.PrefixHashes;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.WorkerStatus;
import dev.tokenbus.protocol.frame.AcceptFrame;
import dev.tokenbus.protocol.frame.CancelFrame;
import dev.tokenbus.protocol.frame.CreditFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.FrameCodec;
import dev.tokenbus.protocol.frame.HeartbeatFrame;
import dev.tokenbus.protocol.frame.OpenFrame;
import dev.tokenbus.protocol.frame.RefuseFrame;
import dev.tokenbus.trace.DispatchTrace;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.MessageProducer;
import java.util.ArrayList;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves an engine on the event bus. Answers OPEN with ACCEPT when the engine admits the
 * generation and REFUSE when it does not; connects the engine's sink to a credited stream towards
 * the gateway; applies CREDIT and CANCEL; announces its load; sends heartbeats for quiet streams;
 * cancels streams whose gateway stalls. A stream whose gateway becomes unreachable or leaves the
 * cluster is cancelled too, unless it is resumable: then it is {@link ParkedStreams parked} for its
 * client to resume through another gateway.
 */
public final class WorkerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);
  private static final long SWEEP_MS = 100;
  /**
   * The longest gap between two announcements of a worker whose status has no news (news is
   * announced within {@link WorkerOptions#announceMs}; see {@link WorkerStatus#newsSince}); gateways
   * forget a worker after 3 s.
   */
  static final long HEARTBEAT_MS = 1000;

  private final Engine engine;
  private final WorkerOptions options;
  private final ClusterMembership membership;
  private final TokenbusMetrics metrics;
  private final String endpoint = Addresses.newWorkerEndpoint();
  private final Map<String, WorkerStream> streams = new HashMap<>();
  private final PrefixSummary prefixes;
  private final boolean prefixCache;
  private EventBus bus;
  private MessageConsumer<Frame> consumer;
  private TokenizerService tokenizer;
  private EmbeddingService embeddings;
  private ParkedStreams parked;
  private KvHandoff handoff;
  /** The drain that runs (or ran): handing off or moving every stream; null before any. */
  private Future<JsonObject> drain;
  private long lastHeartbeatNanos;
  /** Where worker heartbeats go: one sender per gateway with streams here, and how many it sent since. */
  private final Map<String, Heartbeats> heartbeats = new HashMap<>();
  /** The frames of this worker's streams, one batcher per gateway endpoint: a decode step's tokens leave together. */
  private final Map<String, FrameBatcher> batchers = new HashMap<>();

  private static final class Heartbeats {
    final MessageProducer<Frame> sender;
    int sent;

    Heartbeats(MessageProducer<Frame> sender) {
      this.sender = sender;
    }
  }
  private long announceSequence;
  private boolean announcePending;
  private WorkerStatus lastAnnounced;
  private long lastAnnouncedNanos;
  private MessageConsumer<Object> announceNow;
  private boolean stopping;

  public WorkerVerticle(Engine engine, WorkerOptions options, ClusterMembership membership, TokenbusMetrics metrics) {
    this.engine = engine;
    this.options = options;
    this.membership = membership;
    this.metrics = metrics;
    this.prefixCache = engine.prefixCache();
    this.prefixes = new PrefixSummary(engine.stats().slots());
  }

  /** A worker on a cluster node, reporting into the node's metrics. */
  public static WorkerVerticle forNode(ClusterNode node, Engine engine, WorkerOptions options) {
    return new WorkerVerticle(engine, options, node.membership(), node.metrics());
  }

  /** This worker's endpoint address, which is also its id in the cluster. */
  public String endpoint() {
    return endpoint;
  }

  @Override
  public Future<?> start() {
    bus = vertx.eventBus();
    FrameCodec.register(bus);
    WorkerGauges.add(metrics, engine);
    consumer = bus.consumer(endpoint, this::onFrame);
    tokenizer = new TokenizerService(vertx, engine);
    embeddings = new EmbeddingService(vertx, engine);
    parked = new ParkedStreams(vertx, options.modelName());
    handoff = new KvHandoff(vertx, context, engine, endpoint, options.modelName(),
        () -> drain("an operator asked for a drain"));
    membership.onNodeLeft(node -> context.runOnContext(v -> gatewayLeft(node)));
    vertx.setPeriodic(SWEEP_MS, id -> sweep());
    vertx.setPeriodic(options.announceMs(), id -> announceIfChanged());
    // Coalesced: a flood of requests (from any member) costs one announcement per 2 ms at most.
    announceNow = bus.consumer(Addresses.ANNOUNCE_NOW, m -> announceSoon());
    return Future.all(List.of(consumer.completion(), tokenizer.start(endpoint), embeddings.start(endpoint),
        parked.start(endpoint), handoff.start(this::announceSoon), announceNow.completion())).onSuccess(v -> {
      announce();
      LOG.info("worker {} serving model '{}'{} ({} slots)", endpoint, options.modelName(),
          engine.simulated() ? " (simulated: no weights, made-up text)" : "", engine.stats().slots());
    });
  }

  private void onFrame(Message<Frame> msg) {
    switch (msg.body()) {
      case OpenFrame open -> open(msg, open);
      case CreditFrame credit -> {
        WorkerStream s = streams.get(credit.streamId());
        if (s != null) {
          s.out.addCredits(credit.credits());
        }
      }
      case CancelFrame cancel -> {
        WorkerStream s = streams.get(cancel.streamId());
        if (s != null) {
          LOG.info("stream {} cancelled by its gateway: {}", cancel.streamId(), cancel.reason());
          s.cancel();
        }
      }
      default -> LOG.warn("unexpected {} on worker endpoint", msg.body().getClass().getSimpleName());
    }
  }

  private void open(Message<Frame> msg, OpenFrame open) {
    long receivedNanos = DispatchTrace.ENABLED ? System.nanoTime() : 0;
    dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.WORKER_OPEN);
    String sid = open.streamId();
    if (stopping) {
      msg.reply(new RefuseFrame(sid, RefuseFrame.Reason.SHUTTING_DOWN, "worker is shutting down", null),
          FrameCodec.options());
      return;
    }
    if (streams.containsKey(sid)) {
      msg.reply(new RefuseFrame(sid, RefuseFrame.Reason.INVALID_REQUEST, "stream id " + sid + " is in use", "id"),
          FrameCodec.options());
      return;
    }
    parked.superseded(open.request().id());
    FrameBatcher toGateway = batchers.computeIfAbsent(open.replyTo(), g -> new FrameBatcher(context, bus, g));
    CreditedWriteStream out = new CreditedWriteStream(context, toGateway, sid, open.window(), options.coalesceMs());
    boolean cached = prefixCache && open.request().config().cachePrompt();
    // A resumed stream's earlier text is not known here: only its request is summarised.
    boolean keepReply = cached && open.resume().isEmpty();
    WorkerStream stream = new WorkerStream(open, open.request().config().deadlineNanos(System.nanoTime()), out,
        keepReply, s -> context.runOnContext(v -> ended(s, open, cached)));
    out.exceptionHandler(err -> gatewayGone(stream, "gateway unreachable (" + err.getMessage() + ")"));
    streams.put(sid, stream);
    if (cached) {
      prefixes.put(sid, PrefixHashes.of(open.request()));
    }
    java.util.concurrent.Callable<dev.tokenbus.engine.Generation> submit =
        () -> engine.submit(open.request(), open.resume(), stream);
    // Tokenizing a long prompt takes milliseconds: keep it off the event loop. A short one takes
    // microseconds, less than the hop to a blocking thread and back, which every first token would wait for.
    Future<dev.tokenbus.engine.Generation> submitted = isShort(open.request()) ? inline(submit)
        : vertx.executeBlocking(submit, false);
    submitted.onComplete(ar -> {
      if (ar.succeeded()) {
        stream.attach(ar.result());

        DispatchTrace.worker(sid, receivedNanos, System.nanoTime());
        msg.reply(new AcceptFrame(sid, endpoint, membership.nodeId(), ar.result().promptTokens()),
            FrameCodec.options());
      } else {
        streams.remove(sid);
        prefixes.remove(sid);
        msg.reply(refusal(sid, ar.cause()), FrameCodec.options());
      }
      announceSoon();
    });
  }

  /** Prompts (or conversations) of at most this many characters are submitted on the event loop. */
  static final int INLINE_PROMPT_CHARS = 2048;

  /**
   * Whether {@code request}'s text (prompt, or messages, tool calls and tools) is short enough to
   * template and tokenize on the event loop. A request with a grammar never is, however short:
   * parsing it waits for llama.cpp's parser (see {@code GrammarParser}), and 17 bytes can keep that busy.
   */
  static boolean isShort(dev.tokenbus.protocol.GenerationRequest request) {
    if (request.config().grammar() != null) {
      return false;
    }
    long chars = length(request.prompt());
    for (var t : request.tools()) {
      chars += length(t.name()) + length(t.description()) + length(t.parameters().encode());
    }
    for (var m : request.messages()) {
      chars += length(m.content()) + length(m.toolCalls());
      if (chars > INLINE_PROMPT_CHARS) {
        return false;
      }
    }
    return chars <= INLINE_PROMPT_CHARS;
  }

  private static int length(String s) {
    return s == null ? 0 : s.length();
  }

  private static <T> Future<T> inline(java.util.concurrent.Callable<T> task) {
    try {
      return Future.succeededFuture(task.call());
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }

  private static RefuseFrame refusal(String sid, Throwable cause) {
    return switch (cause) {
      case RequestValidationException e -> new RefuseFrame(sid, RefuseFrame.Reason.INVALID_REQUEST, e.getMessage(),
          e.param());
      case AdmissionException e -> switch (e.reason()) {
        case PROMPT_TOO_LONG -> new RefuseFrame(sid, RefuseFrame.Reason.CONTEXT_LENGTH_EXCEEDED, e.getMessage(),
            "prompt");
        case NO_FREE_SLOT -> new RefuseFrame(sid, RefuseFrame.Reason.BUSY, e.getMessage(), null);
        case SHUTTING_DOWN -> new RefuseFrame(sid, RefuseFrame.Reason.SHUTTING_DOWN, e.getMessage(), null);
      };
      default -> {
        LOG.error("stream {}: engine refused with an unexpected error", sid, cause);
        yield new RefuseFrame(sid, RefuseFrame.Reason.BUSY, "engine error: " + cause.getMessage(), null);
      }
    };
  }

  private void ended(WorkerStream s, OpenFrame open, boolean cached) {
    streams.remove(s.streamId);
    parked.ended(s);
    if (!cached) {
      prefixes.remove(s.streamId);
    } else {
      String reply = s.reply();
      prefixes.put(s.streamId, reply == null ? PrefixHashes.of(open.request())
          : PrefixHashes.withReply(open.request(), reply));
    }
    announceSoon();
  }

  private void sweep() {
    long now = System.nanoTime();
    long stallNanos = TimeUnit.MILLISECONDS.toNanos(options.creditStallMs());
    long heartbeatNanos = TimeUnit.MILLISECONDS.toNanos(options.heartbeatMs());
    boolean beat = now - lastHeartbeatNanos >= heartbeatNanos;
    Set<String> gateways = beat ? new HashSet<>() : null;
    for (WorkerStream s : new ArrayList<>(streams.values())) {
      if (s.isParked()) {
        continue; // its gateway is gone: nothing to send, no credit to wait for
      }
      if (beat) {
        gateways.add(s.open.replyTo());
      }
      long stalledSince = s.out.creditsStalledSinceNanos();
      if (stalledSince != 0 && now - stalledSince > stallNanos) {
        LOG.warn("stream {}: no credit from its gateway for {} ms; cancelling", s.streamId, options.creditStallMs());
        s.out.fail(StreamErrorType.CREDIT_STALL, "the consumer granted no credit for " + options.creditStallMs() + " ms");
        s.cancel();
      } else {
        s.out.heartbeatIfIdle(heartbeatNanos, s.state());
      }
    }
    if (beat) {
      // One worker heartbeat per gateway with streams here, however many: their liveness at once.
      lastHeartbeatNanos = now;
      heartbeats.keySet().retainAll(gateways);
      batchers.keySet().retainAll(gateways); // a stream keeps its own: this only stops sharing an unused one
      for (String gateway : gateways) {
        Heartbeats h = heartbeats.computeIfAbsent(gateway, g -> new Heartbeats(bus.sender(g, FrameCodec.options())));
        h.sender.write(HeartbeatFrame.ofWorker(endpoint, ++h.sent)).onFailure(e -> gatewayUnreachable(gateway, e));
      }
    }
  }

  /** A gateway's endpoint is gone (NO_HANDLERS): its streams are parked or cancelled, as when a token's send fails. */
  private void gatewayUnreachable(String gateway, Throwable e) {
    heartbeats.remove(gateway);
    batchers.remove(gateway);
    for (WorkerStream s : new ArrayList<>(streams.values())) {
      if (!s.isParked() && gateway.equals(s.open.replyTo())) {
        gatewayGone(s, "gateway unreachable (" + e.getMessage() + ")");
      }
    }
  }

  private void gatewayLeft(String node) {
    for (WorkerStream s : new ArrayList<>(streams.values())) {
      if (node.equals(s.gatewayNode)) {
        gatewayGone(s, "its gateway node " + node + " left the cluster");
      }
    }
  }

  /** Parks a resumable stream whose gateway is gone, cancels any other; nothing for one that ended. */
  private void gatewayGone(WorkerStream s, String why) {
    if (streams.get(s.streamId) != s) {
      return;
    }
    if (!parked.park(s, why)) {
      LOG.info("stream {}: {}; cancelling", s.streamId, why);
      s.cancel();
    }
  }

  /**
   * How many streams wait for their client to resume them, their gateway gone (see
   * {@link ParkedStreams}); any thread.
   */
  public int parkedStreams() {
    return parked == null ? 0 : parked.size();
  }

  /** Announces soon, coalescing bursts of changes into one announcement. */
  private void announceSoon() {
    if (!announcePending) {
      announcePending = true;
      vertx.setTimer(2, id -> announce());
    }
  }

  private void announce() {
    announcePending = false;
    publish(status());
  }

  /**
   * Announces when the status has news since the last announcement ({@link WorkerStatus#newsSince}),
   * or when the last one is {@link #HEARTBEAT_MS} old: a worker costs every gateway one announcement
   * a second, plus its changes of what dispatch reads, however often its sequences step.
   */
  private void announceIfChanged() {
    WorkerStatus s = status(announceSequence + 1);
    if (!s.newsSince(lastAnnounced)
        && System.nanoTime() - lastAnnouncedNanos < TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MS)) {
      return;
    }
    announceSequence++;
    publish(s);
  }

  private void publish(WorkerStatus s) {
    lastAnnounced = s;
    lastAnnouncedNanos = System.nanoTime();
    bus.publish(Addresses.WORKER_STATUS, s.toWire());
  }

  /** The status this worker announces, under the next announcement number. */
  public WorkerStatus status() {
    return status(++announceSequence);
  }

  private WorkerStatus status(long sequence) {
    EngineStats st = engine.stats();
    return new WorkerStatus(endpoint, membership.nodeId(), options.modelName(), st.slots(), st.active(), st.running(),
        st.paused(), st.prompt(), st.kvCellsUsed(), st.kvCellsTotal(), engine.model().contextPerSequence(),
        stopping || engine.failure() != null, sequence, prefixes.blocks(),
        stopping ? null : handoff.stateFormat(), engine.simulated(),
        engine.embedder().map(Embedder::dimensions).orElse(0));
  }

  /**
   * Graceful: announces itself draining (gateways stop sending it work) and refuses OPEN; running
   * streams may finish until the drain deadline, then end with a {@code worker_shutdown} error.
   */
  @Override
  public Future<?> stop() {
    return drain("the worker is shutting down").transform(ar -> Drain.until(vertx, streams::isEmpty,
        options.drainTimeoutMs())).compose(drained -> {
      if (!streams.isEmpty()) {
        LOG.info("worker {}: drain timeout ({} ms) passed; ending its {} streams", endpoint, options.drainTimeoutMs(),
            streams.size());
      }
      for (WorkerStream s : new ArrayList<>(streams.values())) {
        s.out.fail(StreamErrorType.WORKER_SHUTDOWN, "the worker is shutting down");
        s.cancel();
      }
      return Future.all(consumer.unregister(), announceNow.unregister(), tokenizer.stop(), embeddings.stop(),
          parked.stop(), handoff.stop());
    });
  }

  /**
   * Drains this worker; any thread. The worker stays deployed, taking no work.
   *
   * <p>Drain: stops taking work (announced as draining, OPEN refused) and moves every running stream away:
   * its KV state to a compatible worker with a free slot, where the gateway continues it without
   * recomputing; where that is impossible, to any other worker of the model by replay; and where no
   * other worker serves the model, it stays to finish here. Runs once; later calls get the first's
   * outcome: counts of streams {@code handed_off}, {@code replayed}, {@code staying} and {@code ended}
   * (before their move was done).
   */
  public Future<JsonObject> drainNow(String why) {
    io.vertx.core.Promise<JsonObject> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> drain(why).onComplete(done));
    return done.future();
  }

  private Future<JsonObject> drain(String why) {
    if (drain != null) {
      return drain;
    }
    stopping = true;
    handoff.draining();
    announce();
    List<WorkerStream> running = new ArrayList<>(streams.values());
    LOG.info("worker {} draining: {}; {} streams ({} mode)", endpoint, why, running.size(),
        options.drain().name().toLowerCase());
    int[] counts = new int[4];
    io.vertx.core.json.JsonArray details = new io.vertx.core.json.JsonArray();
    List<Future<Void>> moves = new ArrayList<>();
    for (WorkerStream s : running) {
      if (s.isParked()) {
        continue; // its gateway is gone: it waits for its client as before
      }
      Future<KvHandoff.Moved> move = switch (options.drain()) {
        case HANDOFF -> handoff.handOff(s.generation());
        case REPLAY -> Future.failedFuture(new KvHandoff.Impossible("the worker's drain mode is replay", false));
        case WAIT -> Future.failedFuture(new KvHandoff.Impossible("the worker's drain mode is wait", true));
      };
      moves.add(move.transform(ar -> {
        boolean live = streams.get(s.streamId) == s;
        if (ar.succeeded()) {
          KvHandoff.Moved moved = ar.result();
          if (live) {
            counts[0]++;
            details.add(moved.toJson().put("stream", s.clientStreamId()).put("outcome", "handed_off"));
            s.out.handedOff("worker " + endpoint + " is draining; its KV state moved to " + moved.target(),
                moved.target());
            s.cancel();
          } else {
            counts[3]++; // it ended here while its state was on its way
            handoff.release(moved.target(), s.clientStreamId());
          }
        } else if (!live) {
          counts[3]++;
        } else {
          KvHandoff.Impossible why2 = ar.cause() instanceof KvHandoff.Impossible i ? i
              : new KvHandoff.Impossible(String.valueOf(ar.cause().getMessage()), false);
          details.add(new JsonObject().put("stream", s.clientStreamId())
              .put("outcome", why2.noPeer ? "staying" : "replayed").put("reason", why2.getMessage()));
          if (why2.noPeer) {
            counts[2]++;
            LOG.info("stream {}: stays here until it ends ({})", s.streamId, why2.getMessage());
          } else {
            counts[1]++;
            if (options.drain() == DrainMode.HANDOFF) {
              LOG.warn("stream {}: KV handoff impossible ({}); its gateway replays it on another worker", s.streamId,
                  why2.getMessage());
            }
            s.out.fail(StreamErrorType.WORKER_SHUTDOWN, "worker " + endpoint + " is draining");
            s.cancel();
          }
        }
        return Future.<Void>succeededFuture();
      }));
    }
    drain = Future.all(moves).map(v -> {
      LOG.info("worker {} drain: {} streams handed off with their KV state, {} moved by replay, {} staying to finish"
          + " here, {} ended meanwhile", endpoint, counts[0], counts[1], counts[2], counts[3]);
      return new JsonObject().put("worker_id", endpoint).put("handed_off", counts[0]).put("replayed", counts[1])
          .put("staying", counts[2]).put("ended", counts[3]).put("streams", details);
    });
    return drain;
  }
}
