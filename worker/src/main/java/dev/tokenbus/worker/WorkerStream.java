package dev.tokenbus.worker;

import dev.tokenbus.engine.Generation;
import dev.tokenbus.engine.TokenSink;
import dev.tokenbus.flow.CreditedWriteStream;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.OpenFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One generation served to a gateway: the engine writes into it (on the decode thread) and it
 * forwards through the credited stream, whose credits are what pause the engine's sequence. A
 * {@link #park parked} stream (its gateway is gone) is paused whatever its credits.
 */
final class WorkerStream implements TokenSink {

  /** The leg's wire id (OPEN's stream id). */
  final String streamId;
  final String gatewayNode;
  final CreditedWriteStream out;
  /** The OPEN that started this leg. */
  final OpenFrame open;
  /** The request's timeout_ms deadline, from the OPEN's arrival ({@link System#nanoTime} based). */
  final long deadlineNanos;
  /** The ids of the tokens sampled here, in index order, for a resumable stream; else null. Guarded by itself. */
  private final List<Integer> sampled;
  private volatile boolean parked;
  private final Consumer<WorkerStream> onEnd;
  private volatile Generation generation;
  private volatile boolean cancelRequested;
  /** The text streamed, kept for the prefix summary; null when not wanted. Decode thread until end. */
  private final StringBuilder reply;

  WorkerStream(OpenFrame open, long deadlineNanos, CreditedWriteStream out, boolean keepReply,
      Consumer<WorkerStream> onEnd) {
    this.streamId = open.streamId();
    this.gatewayNode = open.gatewayNode();
    this.open = open;
    this.deadlineNanos = deadlineNanos;
    this.sampled = open.resumable() == null ? null : new ArrayList<>();
    this.reply = keepReply ? new StringBuilder() : null;
    this.out = out;
    this.onEnd = onEnd;
  }

  @Override
  public void write(TokenData token) {
    dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.TOKEN_SAMPLED);
    out.setGenerated(token.index() + 1);
    if (reply != null) {
      reply.append(token.text());
    }
    if (sampled != null && token.tokenId() >= 0) {
      synchronized (sampled) {
        sampled.add(token.tokenId());
      }
    }
    out.write(token);
  }

  /** Paused while parked, else while the gateway granted no credit. */
  @Override
  public boolean writeQueueFull() {
    return parked || out.writeQueueFull();
  }

  /** The stream's id as its client knows it (a leg's wire id differs once it moved or resumed). */
  String clientStreamId() {
    return open.request().id();
  }

  /** Pauses the stream for good: the engine leaves it out of every decode step until it is cancelled. */
  void park() {
    parked = true;
  }

  boolean isParked() {
    return parked;
  }

  /**
   * The ids of every token of the stream so far, from index 0: the OPEN's resumed ones, then those
   * sampled here. Only for a resumable stream.
   */
  List<Integer> tokenIds() {
    List<Integer> ids = new ArrayList<>(open.resume());
    synchronized (sampled) {
      ids.addAll(sampled);
    }
    return ids;
  }

  @Override
  public void drainHandler(Runnable onDrain) {
    out.drainHandler(v -> onDrain.run());
  }

  @Override
  public void end(GenerationResult result) {
    out.finish(result);
    onEnd.accept(this);
  }

  /** The engine accepted the generation. A cancel that came first is applied now. */
  void attach(Generation g) {
    generation = g;
    if (cancelRequested) {
      g.cancel();
    }
  }

  /** Stops the generation; the engine then calls {@link #end} with {@code cancelled}. */
  void cancel() {
    cancelRequested = true;
    Generation g = generation;
    if (g != null) {
      g.cancel();
    }
  }

  /** The text streamed (after {@link #end}), or null when it was not kept. */
  String reply() {
    return reply == null ? null : reply.toString();
  }

  /** The engine's generation, or null before the engine admitted it. */
  Generation generation() {
    return generation;
  }

  int tokensGenerated() {
    Generation g = generation;
    return g == null ? 0 : g.tokensGenerated();
  }

  String state() {
    Generation g = generation;
    return g == null ? "QUEUED" : g.state().name();
  }
}
