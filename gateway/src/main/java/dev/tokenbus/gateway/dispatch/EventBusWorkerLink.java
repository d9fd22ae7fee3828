package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.protocol.Addresses;
import dev.tokenbus.protocol.EmbeddingsWire;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.WorkerStatus;
import dev.tokenbus.protocol.frame.CreditFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.FrameBatch;
import dev.tokenbus.protocol.frame.FrameCodec;
import dev.tokenbus.protocol.frame.Handover;
import dev.tokenbus.protocol.frame.OpenFrame;
import dev.tokenbus.protocol.frame.StreamClaim;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link WorkerLink} over the Vert.x event bus of the cluster: one endpoint address per
 * gateway for its stream frames, request/reply to a worker's address for OPEN and to its tokenizer
 * address, the {@link Addresses#WORKER_STATUS} announcements of members that are ready, and the
 * claims of a resumable stream on its own address ({@link Addresses#streamClaims}) and on the
 * workers' ({@link Addresses#workerClaims}), as {@link StreamClaim}s, whose refusals travel as the failure codes {@link StreamClaim#NOT_FOUND}
 * and {@link StreamClaim#IN_USE}.
 */
final class EventBusWorkerLink implements WorkerLink {

  private static final Logger LOG = LoggerFactory.getLogger(EventBusWorkerLink.class);
  /** A probe is a CREDIT for this stream, which no worker has: a worker takes it and ignores it. */
  private static final String PROBE_STREAM = "tokenbus-reachability-probe";
  /** A tokenizer or embeddings request's failure code for a bad request. */
  private static final int BAD_REQUEST = EmbeddingsWire.BAD_REQUEST;

  private final Vertx vertx;
  private final EventBus bus;
  private final ClusterMembership membership;
  private final String endpoint = Addresses.newGatewayEndpoint();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();

  EventBusWorkerLink(Vertx vertx, ClusterMembership membership) {
    this.vertx = vertx;
    this.bus = vertx.eventBus();
    this.membership = membership;
  }

  @Override
  public Future<Void> start(Inbox inbox) {
    Context context = vertx.getOrCreateContext();
    FrameCodec.register(bus);
    // A worker sends its streams' frames here in batches (a decode step's tokens at once), heartbeats alone.
    MessageConsumer<Object> frames = bus.consumer(endpoint, m -> FrameBatch.forEach(m.body(), inbox::frame));
    MessageConsumer<Object> status = bus.consumer(Addresses.WORKER_STATUS, m -> {
      WorkerStatus s;
      try {
        s = WorkerStatus.fromWire(m.body());
      } catch (RuntimeException e) {
        LOG.debug("ignoring a malformed worker status: {}", e.getMessage());
        return;
      }
      if (membership.isReady(s.nodeId())) { // else not yet authenticated and connected: its next announcement counts
        inbox.status(s, WorkerStatus.wireSize(m.body()));
      }
    });
    consumers.add(frames);
    consumers.add(status);
    membership.onNodeLeft(node -> context.runOnContext(v -> inbox.nodeLeft(node)));
    // Idle workers announce once a heartbeat: ask them all now, so that this gateway knows them at once.
    return Future.all(frames.completion(), status.completion())
        .onSuccess(v -> bus.publish(Addresses.ANNOUNCE_NOW, null)).mapEmpty();
  }

  @Override
  public String endpoint() {
    return endpoint;
  }

  @Override
  public String nodeId() {
    return membership.nodeId();
  }

  @Override
  public Future<Frame> open(String workerId, OpenFrame open, long timeoutMs) {
    return bus.<Frame>request(workerId, open, FrameCodec.options().setSendTimeout(timeoutMs)).map(Message::body)
        .recover(e -> Future.failedFuture(noAnswer(e)));
  }

  @Override
  public void send(String workerEndpoint, Frame frame) {
    bus.send(workerEndpoint, frame, FrameCodec.options());
  }

  @Override
  public Future<Boolean> probe(String workerId, long timeoutMs) {
    return bus.request(workerId, new CreditFrame(PROBE_STREAM, 0), FrameCodec.options().setSendTimeout(timeoutMs))
        .transform(ar -> Future.succeededFuture(ar.succeeded() || !noHandlers(ar.cause())));
  }

  @Override
  public Future<JsonObject> tokenizer(String workerId, JsonObject request, long timeoutMs) {
    return bus.<JsonObject>request(Addresses.tokenizer(workerId), request, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(Message::body).recover(e -> Future.failedFuture(refusal(e)));
  }

  @Override
  public Future<Buffer> embeddings(String workerId, JsonObject request, long timeoutMs) {
    return bus.<Buffer>request(Addresses.embeddings(workerId), request, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(Message::body).recover(e -> Future.failedFuture(refusal(e)));
  }

  /**
   * A worker's failed answer as the {@link WorkerLink}'s failures: {@link RequestValidationException}
   * for a bad request ({@code param: text}), {@link QueueFullException} when it is busy,
   * {@link NoWorkerException} when it cannot serve the request, and {@link NoAnswer} otherwise (no
   * answer came, or the worker failed).
   */
  private static Throwable refusal(Throwable e) {
    if (e instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      String message = String.valueOf(re.getMessage());
      return switch (re.failureCode()) {
        case BAD_REQUEST -> {
          int colon = message.indexOf(": ");
          yield new RequestValidationException(colon > 0 ? message.substring(0, colon) : null,
              colon > 0 ? message.substring(colon + 2) : message);
        }
        case EmbeddingsWire.BUSY -> new QueueFullException("the worker is busy: " + message, 1);
        case EmbeddingsWire.UNAVAILABLE -> new NoWorkerException("the worker cannot answer: " + message);
        default -> noAnswer(e);
      };
    }
    return noAnswer(e);
  }

  @Override
  public Subscription answerClaims(String sid, Reconnects.Holder holder) {
    return answer(Addresses.streamClaims(sid), sid::equals, holder);
  }

  @Override
  public Subscription answerGatewayClaims(String prefix, Reconnects.Holder holder) {
    return answer(Addresses.gatewayClaims(prefix), id -> prefix.equals(StreamIds.prefixOf(id)), holder);
  }

  @Override
  public Subscription answerCancels(String prefix, BiFunction<String, StreamOwner, Future<Boolean>> cancel) {
    MessageConsumer<JsonObject> consumer = bus.consumer(Addresses.gatewayCancels(prefix), m -> {
      String sid = m.body().getString("id");
      StreamOwner owner = StreamOwner.fromWire(m.body().getString("owner"));
      if (sid == null || owner == null || !StreamIds.wellFormed(sid) || !prefix.equals(StreamIds.prefixOf(sid))) {
        m.reply(false);
        return;
      }
      cancel.apply(sid, owner).onComplete(ar -> m.reply(ar.succeeded() && ar.result()));
    });
    return consumer::unregister;
  }

  @Override
  public Future<Boolean> cancelAt(String prefix, String sid, StreamOwner owner, long timeoutMs) {
    return bus.<Boolean>request(Addresses.gatewayCancels(prefix), new JsonObject().put("id", sid)
        .put("owner", owner.wire()), new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(Message::body).otherwise(false);
  }

  @Override
  public Subscription answerEventReads(String prefix, EventBatch.Reader reader) {
    MessageConsumer<JsonObject> consumer = bus.consumer(Addresses.gatewayEvents(prefix), m -> {
      String sid = m.body().getString("id");
      StreamOwner owner = StreamOwner.fromWire(m.body().getString("owner"));
      Long after = m.body().getLong("after");
      if (sid == null || owner == null || after == null || !StreamIds.wellFormed(sid)
          || !prefix.equals(StreamIds.prefixOf(sid))) {
        m.reply(EventBatch.refusal(StreamNotFoundException.unknown("(malformed)")));
        return;
      }
      reader.read(sid, owner, after).onComplete(ar -> m.reply(ar.succeeded() ? ar.result().toJson()
          : EventBatch.refusal(ar.cause())));
    });
    return consumer::unregister;
  }

  @Override
  public Future<EventBatch> readEventsAt(String prefix, String sid, StreamOwner owner, long after, long timeoutMs) {
    return bus.<JsonObject>request(Addresses.gatewayEvents(prefix), new JsonObject().put("id", sid)
        .put("owner", owner.wire()).put("after", after), new DeliveryOptions().setSendTimeout(timeoutMs))
        .transform(ar -> ar.succeeded() ? EventBatch.fromJson(ar.result().body()) : Future.failedFuture(noAnswer(ar.cause())));
  }

  /** Answers the claims sent to {@code address} for the stream ids {@code covered} accepts; others own nothing. */
  private Subscription answer(String address, Predicate<String> covered,
      Reconnects.Holder holder) {
    MessageConsumer<JsonObject> claims = bus.consumer(address, m -> {
      String sid = null;
      try {
        StreamClaim claim = StreamClaim.fromJson(m.body());
        sid = claim.streamId();
        StreamOwner claimer = StreamOwner.fromWire(claim.owner());
        if (!StreamIds.wellFormed(sid)) {
          throw StreamNotFoundException.unknown("(malformed)"); // never echo what the id was
        }
        if (!covered.test(sid)) {
          throw StreamNotFoundException.unknown(sid);
        }
        if (claimer == null) {
          throw StreamNotFoundException.unknown(sid); // a claim that names no owner owns nothing
        }
        m.reply(holder.giveUp(sid, claim.lastIndex(), claimer).toJson());
      } catch (StreamNotFoundException e) {
        m.fail(StreamClaim.NOT_FOUND, e.getMessage());
      } catch (StreamInUseException e) {
        m.fail(StreamClaim.IN_USE, e.getMessage());
      } catch (RuntimeException e) {
        LOG.warn("claim for stream {} failed", sid, e);
        m.fail(500, e.toString());
      }
    });
    return claims::unregister;
  }

  @Override
  public Future<Handover> claim(String sid, int lastIndex, StreamOwner claimer, long timeoutMs) {
    return claim(Addresses.streamClaims(sid), sid, lastIndex, claimer, timeoutMs);
  }

  @Override
  public Future<Handover> claimFromGateway(String prefix, String sid, int lastIndex, StreamOwner claimer,
      long timeoutMs) {
    return claim(Addresses.gatewayClaims(prefix), sid, lastIndex, claimer, timeoutMs);
  }

  @Override
  public Future<Handover> claimParked(String workerId, String sid, int lastIndex, StreamOwner claimer,
      long timeoutMs) {
    return claim(Addresses.workerClaims(workerId), sid, lastIndex, claimer, timeoutMs);
  }

  private Future<Handover> claim(String address, String sid, int lastIndex, StreamOwner claimer, long timeoutMs) {
    JsonObject claim = new StreamClaim(sid, lastIndex, claimer.wire()).toJson();
    return bus.<JsonObject>request(address, claim, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(Message::body).map(Handover::fromJson).recover(e -> Future.failedFuture(refusal(sid, e)));
  }

  /** What a failed claim over the bus means: the holder's exception, or {@link NoAnswer} when none answered. */
  private static Throwable refusal(String sid, Throwable e) {
    if (e instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      if (re.failureCode() == StreamClaim.NOT_FOUND) {
        return new StreamNotFoundException(re.getMessage());
      }
      if (re.failureCode() == StreamClaim.IN_USE) {
        return new StreamInUseException(sid);
      }
      return e;
    }
    return noAnswer(e);
  }

  /** Whether a failed request to an address found no handler there. */
  static boolean noHandlers(Throwable failure) {
    return failure instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
  }

  /** A failed request to a worker, as the link's {@link NoAnswer}. */
  static NoAnswer noAnswer(Throwable failure) {
    String problem = failure instanceof ReplyException re ? re.failureType() + " " + re.getMessage()
        : failure.toString();
    return new NoAnswer(problem, noHandlers(failure));
  }

  @Override
  public Future<Void> close() {
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }
}
