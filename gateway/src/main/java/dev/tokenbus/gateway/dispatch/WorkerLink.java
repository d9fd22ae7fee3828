package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.WorkerStatus;
import dev.tokenbus.protocol.frame.AcceptFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.Handover;
import dev.tokenbus.protocol.frame.OpenFrame;
import dev.tokenbus.protocol.frame.RefuseFrame;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.function.BiFunction;

/**
 * How the dispatch reaches workers and other gateways: everything the {@link Dispatcher},
 * {@link Failover}, {@link Reconnects}, {@link Reachability} and {@link WorkerRequests} send or
 * receive goes through it, so that their logic does not depend on the transport. The cluster's
 * implementation is {@link EventBusWorkerLink}; tests use a fake.
 *
 * <p>Contract: {@link #start} is called once, on the dispatcher's context, before anything else;
 * the {@link Inbox} is called on that context only, and so are the handlers of the futures this
 * link returns. A request to a worker that gets no answer fails with {@link NoAnswer}.
 */
interface WorkerLink {

  /** What arrives for the dispatcher. */
  interface Inbox {
    /** A frame of one of its streams (TOKENS, END, ERROR, HEARTBEAT), named by the leg's wire id. */
    void frame(Frame frame);

    /**
     * A worker's announcement; only from cluster members that are ready (authenticated and connected).
     *
     * @param bytes its size as encoded on the wire
     */
    void status(WorkerStatus status, int bytes);

    /** Cluster member {@code nodeId} left: its workers are gone. */
    void nodeLeft(String nodeId);
  }

  /** Answers the claims for one stream until {@link #close closed}. */
  interface Subscription {
    void close();
  }

  /**
   * A request to a worker got no answer.
   *
   * @param noHandler nobody listens at the worker's address (it is unreachable, not just slow)
   */
  final class NoAnswer extends RuntimeException {
    private final boolean noHandler;

    NoAnswer(String message, boolean noHandler) {
      super(message, null, false, false);
      this.noHandler = noHandler;
    }

    boolean noHandler() {
      return noHandler;
    }
  }

  /** Starts delivering to {@code inbox}; completes once frames sent to {@link #endpoint} arrive. */
  Future<Void> start(Inbox inbox);

  /** The address the workers send this dispatcher's stream frames to. */
  String endpoint();

  /** This gateway's cluster node, which a worker checks a stream's frames against. */
  String nodeId();

  /**
   * Sends OPEN to worker {@code workerId}.
   *
   * @return the worker's answer, {@link AcceptFrame} or {@link RefuseFrame}; or {@link NoAnswer}
   *     within {@code timeoutMs}
   */
  Future<Frame> open(String workerId, OpenFrame open, long timeoutMs);

  /** Sends a frame of a stream (CREDIT, CANCEL) to the worker endpoint that accepted it; no answer. */
  void send(String workerEndpoint, Frame frame);

  /**
   * Whether someone listens at worker {@code workerId}'s address: a message the worker ignores,
   * sent to find out. Never fails.
   */
  Future<Boolean> probe(String workerId, long timeoutMs);

  /**
   * A tokenize or detokenize request to worker {@code workerId}.
   *
   * @return the worker's answer; or {@link RequestValidationException} when the worker finds the
   *     request bad, {@link NoAnswer} when it does not answer within {@code timeoutMs}
   */
  Future<JsonObject> tokenizer(String workerId, JsonObject request, long timeoutMs);

  /**
   * An embeddings request to worker {@code workerId} ({@link dev.tokenbus.protocol.EmbeddingsWire}).
   *
   * @return the worker's binary answer; or {@link RequestValidationException} when the worker finds
   *     the request bad, {@link QueueFullException} when its embeddings queue is full,
   *     {@link NoAnswer} when it does not answer within {@code timeoutMs}
   */
  Future<Buffer> embeddings(String workerId, JsonObject request, long timeoutMs);

  /**
   * Answers the claims for stream {@code sid} (from any gateway, this one included) with
   * {@code holder}, whose exceptions go back to the claimer as the same exceptions: for a stream
   * another gateway made (its own are answered by {@link #answerGatewayClaims}).
   */
  Subscription answerClaims(String sid, Reconnects.Holder holder);

  /**
   * Answers the claims for every stream whose id carries {@code prefix}, this gateway's (see
   * {@link StreamIds}), with {@code holder}, as {@link #answerClaims} does for one stream.
   */
  Subscription answerGatewayClaims(String prefix, Reconnects.Holder holder);

  /**
   * Claims stream {@code sid} as {@link #claim} does, from the gateway whose stream-id prefix is
   * {@code prefix}: the one that made it.
   *
   * @return as {@link #claim}; {@link NoAnswer} with {@code noHandler} when no gateway has that prefix
   */
  Future<Handover> claimFromGateway(String prefix, String sid, int lastIndex, StreamOwner claimer, long timeoutMs);

  /**
   * Claims stream {@code sid} after token {@code lastIndex} for {@code claimer} from whichever
   * gateway holds it.
   *
   * @return the holder's handover; or {@link StreamNotFoundException} when the holder has no such
   *     stream for {@code claimer}, {@link StreamInUseException} when it still streams to its client,
   *     {@link NoAnswer} when nobody answered within {@code timeoutMs} (with {@code noHandler}: nobody
   *     listens for the stream's claims)
   */
  Future<Handover> claim(String sid, int lastIndex, StreamOwner claimer, long timeoutMs);

  /**
   * Claims stream {@code sid} as {@link #claim} does, from worker {@code workerId}, which keeps it
   * if its gateway is gone.
   *
   * @return the worker's handover; or {@link StreamNotFoundException} when it keeps no such stream
   *     for {@code claimer} ({@link StreamNotFoundException#unknown} when it keeps none of that id),
   *     {@link NoAnswer} when it did not answer within {@code timeoutMs}
   */
  Future<Handover> claimParked(String workerId, String sid, int lastIndex, StreamOwner claimer, long timeoutMs);

  /**
   * Answers the cancel requests for the work this gateway runs under stream ids carrying
   * {@code prefix}, with {@code cancel} (true: there was such work of that owner, now cancelled).
   */
  Subscription answerCancels(String prefix, BiFunction<String, StreamOwner, Future<Boolean>> cancel);

  /**
   * Asks the gateway whose stream-id prefix is {@code prefix} to cancel its work {@code sid} of
   * {@code owner}; false when it has no such work, or nobody answered within {@code timeoutMs}.
   */
  Future<Boolean> cancelAt(String prefix, String sid, StreamOwner owner, long timeoutMs);

  /**
   * Answers the reads of the event logs of the work this gateway runs under stream ids carrying
   * {@code prefix}, with {@code reader}.
   */
  Subscription answerEventReads(String prefix, EventBatch.Reader reader);

  /**
   * Reads the events after {@code after} of {@code owner}'s work {@code sid} at the gateway whose
   * stream-id prefix is {@code prefix}, as {@link EventBatch.Reader#read} answers there; fails
   * with {@link NoAnswer} when nobody answered within {@code timeoutMs}.
   */
  Future<EventBatch> readEventsAt(String prefix, String sid, StreamOwner owner, long after, long timeoutMs);

  /** Stops delivering to the inbox. */
  Future<Void> close();
}
