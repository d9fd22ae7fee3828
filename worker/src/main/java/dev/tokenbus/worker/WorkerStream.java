package dev.tokenbus.worker;

import dev.tokenbus.engine.Generation;
import dev.tokenbus.engine.TokenSink;
import dev.tokenbus.flow.CreditedWriteStream;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.TokenData;
import java.util.function.Consumer;

/**
 * One generation served to a gateway: the engine writes into it (on the decode thread) and it
 * forwards through the credited stream, whose credits are what pause the engine's sequence.
 */
final class WorkerStream implements TokenSink {

  final String streamId;
  final String gatewayNode;
  final CreditedWriteStream out;
  private final Consumer<WorkerStream> onEnd;
  private volatile Generation generation;
  private volatile boolean cancelRequested;
  /** The text streamed, kept for the prefix summary; null when not wanted. Decode thread until end. */
  private final StringBuilder reply;

  WorkerStream(String streamId, String gatewayNode, CreditedWriteStream out, boolean keepReply,
      Consumer<WorkerStream> onEnd) {
    this.streamId = streamId;
    this.reply = keepReply ? new StringBuilder() : null;
    this.gatewayNode = gatewayNode;
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
    out.write(token);
  }

  @Override
  public boolean writeQueueFull() {
    return out.writeQueueFull();
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

  int tokensGenerated() {
    Generation g = generation;
    return g == null ? 0 : g.tokensGenerated();
  }

  String state() {
    Generation g = generation;
    return g == null ? "QUEUED" : g.state().name();
  }
}
