package dev.tokenbus.worker;

import dev.tokenbus.engine.Adoption;
import dev.tokenbus.engine.AdmissionException;
import dev.tokenbus.engine.Engine;
import dev.tokenbus.engine.Generation;
import dev.tokenbus.engine.SequenceState;
import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.protocol.WorkerStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves running sequences with their KV cells between workers of one model: the sending side of a
 * drain ({@link #handOff}) and the receiving side, on {@link Addresses#handoff}.
 *
 * <p>The protocol, request/reply on the receiver's handoff address:
 * <ol>
 *   <li>{@code offer} (JSON: request id, model, state format, the tokens the cells hold, the seed,
 *       the state's size in bytes): the receiver checks that it can adopt it (same model file, same
 *       llama.cpp release and KV layout, room in a slot's context, a size within what that many
 *       tokens can take) and reserves a slot, or refuses saying why. It answers with a transfer id.
 *   <li>chunks (binary, {@link #CHUNK_BYTES} each, headers {@code transfer} and {@code offset}), at most
 *       {@link #WINDOW} unanswered at a time: memory on both sides stays one state plus the window.
 *   <li>{@code commit}: the receiver loads the cells into its reserved slot and keeps them for the
 *       stream (see {@link Adoption}); or {@code abort}, which gives the slot back. A transfer that
 *       hears nothing for {@link #TRANSFER_IDLE_MS} is aborted by the receiver.
 *   <li>{@code release} (after a commit, when the stream ended on the sender meanwhile): the receiver
 *       drops the kept cells at once instead of waiting for them to expire.
 * </ol>
 * The sender's sequence keeps generating throughout; its gateway then moves the stream to the
 * receiver, which reuses the cells and prefills only the tokens generated after the copy.
 *
 * <p>Used on the worker verticle's context.
 */
final class KvHandoff {

  private static final Logger LOG = LoggerFactory.getLogger(KvHandoff.class);
  static final int CHUNK_BYTES = 1024 * 1024;
  static final int WINDOW = 8;
  static final long TRANSFER_IDLE_MS = 10_000;
  /** How long an adopted state waits for its stream's OPEN. */
  static final long HOLD_MS = 10_000;
  static final long REQUEST_TIMEOUT_MS = 10_000;
  private static final int MAX_ID_CHARS = 512;

  /** A sequence handed off: to which worker, how many tokens' cells, how many bytes, in how long. */
  record Moved(String target, int tokens, long bytes, long millis) {
    JsonObject toJson() {
      return new JsonObject().put("to", target).put("tokens", tokens).put("bytes", bytes).put("ms", millis);
    }
  }

  /** Why a sequence was not handed off; {@code noPeer} when no other worker serves the model at all. */
  static final class Impossible extends RuntimeException {
    final boolean noPeer;

    Impossible(String message, boolean noPeer) {
      super(message, null, false, false);
      this.noPeer = noPeer;
    }
  }

  /** A state being received. */
  private static final class Incoming {
    final String requestId;
    final int[] tokens;
    final long seed;
    final Adoption adoption;
    final Arena arena;
    final MemorySegment data;
    long received;
    long lastHeardNanos = System.nanoTime();

    Incoming(String requestId, int[] tokens, long seed, Adoption adoption, Arena arena, MemorySegment data) {
      this.requestId = requestId;
      this.tokens = tokens;
      this.seed = seed;
      this.adoption = adoption;
      this.arena = arena;
      this.data = data;
    }

    void discard() {
      adoption.release();
      arena.close();
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final EventBus bus;
  private final Engine engine;
  private final String endpoint;
  private final String modelName;
  private final Supplier<Future<JsonObject>> drainRequested;
  private final Map<String, Incoming> incoming = new HashMap<>();
  private final Map<String, WorkerStatus> peers = new HashMap<>();
  private final Map<String, Long> peersSeen = new HashMap<>();
  private MessageConsumer<Object> consumer;
  private MessageConsumer<Object> peerConsumer;
  /** Completes when every worker was asked to announce itself (see {@link #knownPeers}), at that time. */
  private Future<Long> askedAt;
  private volatile String stateFormat;
  private boolean draining;
  private long sweepTimer;
  /** Handoffs run one at a time: memory holds one state copy on this side, whatever the streams. */
  private Future<?> last = Future.succeededFuture();

  /**
   * @param drainRequested runs a drain (the {@code drain} op) and answers with what it did
   */
  KvHandoff(Vertx vertx, Context context, Engine engine, String endpoint, String modelName,
      Supplier<Future<JsonObject>> drainRequested) {
    this.vertx = vertx;
    this.context = context;
    this.bus = vertx.eventBus();
    this.engine = engine;
    this.endpoint = endpoint;
    this.modelName = modelName;
    this.drainRequested = drainRequested;
  }

  /**
   * Listens for offers; learns the model file's hash in the background (until then the worker
   * adopts nothing) and runs {@code known} once it is known.
   */
  Future<Void> start(Runnable known) {
    consumer = bus.consumer(Addresses.handoff(endpoint), this::onMessage);
    sweepTimer = vertx.setPeriodic(1000, id -> sweep());
    String format = engine.stateFormat();
    if (format != null) {
      vertx.executeBlocking(() -> dev.tokenbus.model.Sha256.of(engine.model().file()), false).onComplete(ar -> {
        if (ar.succeeded()) {
          stateFormat = format + "; model sha256 " + ar.result();
          known.run();
        } else {
          LOG.warn("cannot hash the model file, so this worker adopts no running sequences: {}",
              ar.cause().getMessage());
        }
      });
    }
    return consumer.completion();
  }

  Future<Void> stop() {
    vertx.cancelTimer(sweepTimer);
    for (Incoming in : incoming.values()) {
      in.discard();
    }
    incoming.clear();
    List<Future<Void>> done = new ArrayList<>();
    done.add(consumer.unregister());
    if (peerConsumer != null) {
      done.add(peerConsumer.unregister());
    }
    return Future.all(done).mapEmpty();
  }

  /** What this worker's states are made with (see {@link WorkerStatus#stateFormat}), or null. */
  String stateFormat() {
    return stateFormat;
  }

  // ---- sending --------------------------------------------------------------------------------

  /**
   * Hands generation {@code g}'s sequence to another worker of the model: copies its KV cells (it
   * keeps generating here meanwhile), offers them to the compatible peers with a free slot, most free
   * first, and transfers them to the first that takes them. Completes with that worker and the
   * transfer's size and time (from the offer to the adopter's load), or fails with {@link Impossible} saying why. Handoffs queue behind each other.
   */
  Future<Moved> handOff(Generation g) {
    Promise<Moved> done = Promise.promise();
    last = last.transform(ignored -> {
      handOffNow(g).onComplete(done);
      return done.future().transform(ar -> Future.succeededFuture());
    });
    return done.future();
  }

  private Future<Moved> handOffNow(Generation g) {
    return knownPeers().compose(all -> {
      if (g == null) {
        boolean others = all.stream().anyMatch(p -> modelName.equals(p.model()) && !p.draining());
        return Future.failedFuture(new Impossible(others ? "it was not admitted yet"
            : "no other worker serves model '" + modelName + "'", !others));
      }
      List<WorkerStatus> sameModel = all.stream().filter(p -> modelName.equals(p.model()) && !p.draining()).toList();
      if (sameModel.isEmpty()) {
        return Future.failedFuture(new Impossible("no other worker serves model '" + modelName + "'", true));
      }
      if (stateFormat == null) {
        return Future.failedFuture(new Impossible(engine.stateFormat() == null
            ? "this worker's llama.cpp release does not hand off KV state" : "this worker's model hash is not known yet",
            false));
      }
      List<WorkerStatus> compatible = sameModel.stream().filter(p -> stateFormat.equals(p.stateFormat())).toList();
      if (compatible.isEmpty()) {
        return Future.failedFuture(new Impossible("none of the " + sameModel.size() + " other workers of model '"
            + modelName + "' runs a compatible engine (" + stateFormat + ")", false));
      }
      return Future.fromCompletionStage(engine.copyState(g), context).recover(e -> Future.failedFuture(
          new Impossible("no state to hand off: " + e.getMessage(), false))).compose(state -> {
            List<WorkerStatus> targets = compatible.stream()
                .filter(p -> p.freeSlots() > 0 && p.contextPerSequence() >= state.tokens().length)
                .sorted(Comparator.comparingInt(WorkerStatus::freeSlots).reversed()).toList();
            if (targets.isEmpty()) {
              state.close();
              return Future.failedFuture(new Impossible("no compatible worker has a free slot with room for "
                  + state.tokens().length + " tokens", false));
            }
            return offer(state, targets, 0, null).onComplete(ar -> state.close());
          });
    });
  }

  private Future<Moved> offer(SequenceState state, List<WorkerStatus> targets, int i, String lastProblem) {
    if (i == targets.size()) {
      return Future.failedFuture(new Impossible("every compatible worker refused: " + lastProblem, false));
    }
    String target = targets.get(i).workerId();
    JsonObject offer = new JsonObject().put("op", "offer").put("request_id", state.generationId())
        .put("model", modelName).put("state_format", stateFormat).put("from", endpoint)
        .put("tokens", new JsonArray(java.util.Arrays.stream(state.tokens()).boxed().toList()))
        .put("seed", state.seed()).put("bytes", state.bytes());
    long t0 = System.nanoTime();
    return bus.<JsonObject>request(Addresses.handoff(target), offer, timeout()).transform(ar -> {
      if (ar.failed()) {
        return offer(state, targets, i + 1, target + ": " + ar.cause().getMessage());
      }
      String transfer = ar.result().body().getString("transfer");
      return send(target, transfer, state).compose(v -> commit(target, transfer)).map(v -> {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        LOG.info("generation {}: handed {} tokens of KV state ({} KiB) to {} in {} ms", state.generationId(),
            state.tokens().length, state.bytes() >> 10, target, ms);
        return new Moved(target, state.tokens().length, state.bytes(), ms);
      }).recover(e -> {
        bus.request(Addresses.handoff(target), new JsonObject().put("op", "abort").put("transfer", transfer), timeout());
        return Future.failedFuture(new Impossible("transfer to " + target + " failed: " + e.getMessage(), false));
      });
    });
  }

  /** Sends the state in chunks, at most {@link #WINDOW} unanswered. */
  private Future<Void> send(String target, String transfer, SequenceState state) {
    Promise<Void> done = Promise.promise();
    long size = state.bytes();
    long[] next = {0};
    int[] inFlight = {0};
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      while (!done.future().isComplete() && inFlight[0] < WINDOW && next[0] < size) {
        long offset = next[0];
        int n = (int) Math.min(CHUNK_BYTES, size - offset);
        next[0] += n;
        inFlight[0]++;
        byte[] bytes = state.kv().asSlice(offset, n).toArray(ValueLayout.JAVA_BYTE);
        DeliveryOptions options = timeout().addHeader("transfer", transfer).addHeader("offset", Long.toString(offset));
        bus.request(Addresses.handoff(target), Buffer.buffer(bytes), options).onComplete(ar -> {
          inFlight[0]--;
          if (ar.failed()) {
            done.tryFail(ar.cause());
          } else if (next[0] == size && inFlight[0] == 0) {
            done.tryComplete();
          } else {
            pump[0].run();
          }
        });
      }
    };
    if (size == 0) {
      done.complete();
    } else {
      pump[0].run();
    }
    return done.future();
  }

  private Future<Void> commit(String target, String transfer) {
    return bus.request(Addresses.handoff(target), new JsonObject().put("op", "commit").put("transfer", transfer),
        timeout()).mapEmpty();
  }

  /** Tells {@code target} that the stream it adopted will not come (it ended here meanwhile). */
  void release(String target, String requestId) {
    bus.request(Addresses.handoff(target), new JsonObject().put("op", "release").put("request_id", requestId),
        timeout());
  }

  /**
   * The other workers, as last announced: listens to announcements from the first call on (a drain
   * is rare; parsing every worker's announcements all the time would cost every worker in W x W),
   * asks every worker to announce itself at once ({@link Addresses#ANNOUNCE_NOW}: an idle one
   * announces only once a heartbeat), and answers once they had time to.
   */
  /** How long the workers asked to announce themselves have to answer, from the request. */
  private static final long PEERS_ANSWER_MS = 250;

  private Future<List<WorkerStatus>> knownPeers() {
    if (peerConsumer == null) {
      peerConsumer = bus.<Object>consumer(Addresses.WORKER_STATUS, m -> {
        try {
          WorkerStatus s = WorkerStatus.fromWire(m.body());
          if (!endpoint.equals(s.workerId())) {
            WorkerStatus old = peers.get(s.workerId());
            if (old == null || s.sequence() > old.sequence()) {
              peers.put(s.workerId(), s);
              peersSeen.put(s.workerId(), System.nanoTime());
            }
          }
        } catch (RuntimeException e) {
          LOG.debug("ignoring a malformed worker status: {}", e.getMessage());
        }
      });
      askedAt = peerConsumer.completion().transform(ar -> {
        bus.publish(Addresses.ANNOUNCE_NOW, null);
        return Future.succeededFuture(System.nanoTime());
      });
    }
    return askedAt.compose(asked -> {
      long waitMs = PEERS_ANSWER_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
      Promise<List<WorkerStatus>> p = Promise.promise();
      Runnable answer = () -> {
        long fresh = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(3 * WorkerVerticle.HEARTBEAT_MS);
        p.complete(peers.values().stream().filter(s -> peersSeen.get(s.workerId()) - fresh > 0).toList());
      };
      if (waitMs > 0) {
        vertx.setTimer(waitMs, id -> answer.run());
      } else {
        answer.run();
      }
      return p.future();
    });
  }

  private static DeliveryOptions timeout() {
    return new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS);
  }

  // ---- receiving ------------------------------------------------------------------------------

  private void onMessage(Message<Object> m) {
    try {
      switch (m.body()) {
        case Buffer chunk -> chunk(m, chunk);
        case JsonObject j -> {
          switch (String.valueOf(j.getValue("op"))) {
            case "offer" -> offer(m, j);
            case "commit" -> commit(m, j);
            case "abort" -> {
              Incoming in = incoming.remove(String.valueOf(j.getValue("transfer")));
              if (in != null) {
                in.discard();
              }
              m.reply(null);
            }
            case "release" -> {
              engine.dropAdopted(String.valueOf(j.getValue("request_id")));
              m.reply(null);
            }
            case "drain" -> drainRequested.get().onComplete(ar -> {
              if (ar.succeeded()) {
                m.reply(ar.result());
              } else {
                m.fail(500, ar.cause().getMessage());
              }
            });
            default -> m.fail(400, "unknown op");
          }
        }
        default -> m.fail(400, "unexpected message");
      }
    } catch (RuntimeException e) {
      m.fail(400, "bad handoff message: " + e.getMessage());
    }
  }

  private void offer(Message<Object> m, JsonObject j) {
    String id = j.getValue("request_id") instanceof String s && !s.isEmpty() && s.length() <= MAX_ID_CHARS ? s : null;
    if (id == null) {
      m.fail(400, "request_id must be a string of 1 to " + MAX_ID_CHARS + " characters");
      return;
    }
    String format = draining ? null : stateFormat;
    if (format == null) {
      m.fail(409, "this worker adopts no states (its model hash is not known yet, or it is draining)");
      return;
    }
    if (!modelName.equals(j.getValue("model")) || !format.equals(j.getValue("state_format"))) {
      m.fail(409, "incompatible: this worker serves '" + modelName + "' with " + format);
      return;
    }
    int room = engine.model().contextPerSequence();
    JsonArray array = j.getValue("tokens") instanceof JsonArray a ? a : null;
    if (array == null || array.isEmpty() || array.size() > room) {
      m.fail(400, "tokens must be an array of 1 to " + room + " token ids");
      return;
    }
    int[] tokens = new int[array.size()];
    for (int i = 0; i < tokens.length; i++) {
      if (!(array.getValue(i) instanceof Integer t)) {
        m.fail(400, "tokens must be token ids");
        return;
      }
      tokens[i] = t;
    }
    long bytes = j.getValue("bytes") instanceof Number n ? n.longValue() : -1;
    long limit = engine.maxStateBytes(tokens.length);
    if (bytes < 1 || bytes > limit) {
      m.fail(400, "bytes must be 1 to " + limit + " for a state of " + tokens.length + " tokens, got " + bytes);
      return;
    }
    if (!(j.getValue("seed") instanceof Number seed)) {
      m.fail(400, "seed must be a number");
      return;
    }
    Adoption adoption;
    try {
      adoption = engine.reserveAdoption(id, tokens.length);
    } catch (AdmissionException e) {
      m.fail(503, e.getMessage());
      return;
    }
    Arena arena = Arena.ofShared();
    MemorySegment data;
    try {
      data = arena.allocate(bytes, 64);
    } catch (OutOfMemoryError e) {
      arena.close();
      adoption.release();
      m.fail(503, "no memory for a state of " + bytes + " bytes");
      return;
    }
    String transfer = UUID.randomUUID().toString();
    incoming.put(transfer, new Incoming(id, tokens, seed.longValue(), adoption, arena, data));
    LOG.debug("generation {}: receiving {} tokens of KV state ({} bytes) from {}", id, tokens.length, bytes,
        j.getValue("from"));
    m.reply(new JsonObject().put("transfer", transfer));
  }

  private void chunk(Message<Object> m, Buffer chunk) {
    Incoming in = incoming.get(m.headers().get("transfer"));
    if (in == null) {
      m.fail(404, "no such transfer");
      return;
    }
    long offset;
    try {
      offset = Long.parseLong(String.valueOf(m.headers().get("offset")));
    } catch (NumberFormatException e) {
      offset = -1;
    }
    if (offset != in.received || offset + chunk.length() > in.data.byteSize()) {
      incoming.remove(m.headers().get("transfer"));
      in.discard();
      m.fail(400, "chunk at offset " + offset + " does not follow the " + in.received + " bytes received");
      return;
    }
    MemorySegment.copy(chunk.getBytes(), 0, in.data, ValueLayout.JAVA_BYTE, offset, chunk.length());
    in.received += chunk.length();
    in.lastHeardNanos = System.nanoTime();
    m.reply(null);
  }

  private void commit(Message<Object> m, JsonObject j) {
    Incoming in = incoming.remove(String.valueOf(j.getValue("transfer")));
    if (in == null) {
      m.fail(404, "no such transfer");
      return;
    }
    if (in.received != in.data.byteSize()) {
      in.discard();
      m.fail(400, "the state is incomplete: " + in.received + " of " + in.data.byteSize() + " bytes");
      return;
    }
    Future<Void> adopted;
    try {
      adopted = Future.fromCompletionStage(in.adoption.adopt(in.tokens, in.seed, in.data, HOLD_MS), context);
    } catch (RuntimeException e) {
      in.arena.close();
      m.fail(400, e.getMessage());
      return;
    }
    adopted.onComplete(ar -> {
      in.arena.close();
      if (ar.succeeded()) {
        LOG.info("generation {}: adopted {} tokens of KV state; waiting for its stream", in.requestId,
            in.tokens.length);
        m.reply(new JsonObject().put("adopted", in.tokens.length));
      } else {
        LOG.warn("generation {}: could not adopt its KV state: {}", in.requestId, ar.cause().getMessage());
        m.fail(500, "could not adopt the state: " + ar.cause().getMessage());
      }
    });
  }

  private void sweep() {
    long idle = TimeUnit.MILLISECONDS.toNanos(TRANSFER_IDLE_MS);
    long now = System.nanoTime();
    incoming.entrySet().removeIf(e -> {
      if (now - e.getValue().lastHeardNanos > idle) {
        LOG.warn("generation {}: its KV state transfer stalled; dropping it", e.getValue().requestId);
        e.getValue().discard();
        return true;
      }
      return false;
    });
  }

  /** From now on this worker adopts nothing (it is draining); it still hands its own streams off. */
  void draining() {
    draining = true;
  }
}
