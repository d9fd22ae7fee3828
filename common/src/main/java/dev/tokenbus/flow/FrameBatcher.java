package dev.tokenbus.flow;

import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.FrameBatch;
import dev.tokenbus.protocol.frame.FrameBatchCodec;
import dev.tokenbus.protocol.frame.FrameCodec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageProducer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The frames that the streams of one context send to one endpoint, gathered into one
 * {@link FrameBatch} message per turn of the context's event loop. A decode step gives a token to
 * every running sequence at once, and each stream flushes its own on the context: with this the
 * step's tokens for one gateway leave as one message (or a few: at most {@value #MAX_FRAMES} frames
 * each) instead of one per stream, and nothing waits longer than the tasks already queued on the
 * context.
 *
 * <p>Frames leave in the order of {@link #send} calls. Use on the context only.
 */
public final class FrameBatcher {

  /** A batch is sent once it holds this many frames, so that a message stays a few tens of KB. */
  public static final int MAX_FRAMES = 256;

  private final Context context;
  private final MessageProducer<FrameBatch> sender;
  private List<Frame> pending;
  private Promise<Void> pendingSent;
  /** Counts batches started, so that a turn's scheduled flush leaves a later batch alone. */
  private long batches;

  /** @param target the endpoint address every frame goes to */
  public FrameBatcher(Context context, EventBus bus, String target) {
    this.context = Objects.requireNonNull(context, "context");
    FrameCodec.register(bus);
    this.sender = bus.sender(target, FrameBatchCodec.options());
  }

  /** The endpoint address. */
  public String address() {
    return sender.address();
  }

  /**
   * Adds {@code frame} to the batch being gathered, which leaves at the end of this turn of the
   * event loop (or at once when full). The future completes when the batch was handed to the bus,
   * or fails as the bus's write does, e.g. {@code ReplyException(NO_HANDLERS)} once the endpoint
   * is gone. Call on the context.
   */
  public Future<Void> send(Frame frame) {
    if (pending == null) {
      pending = new ArrayList<>();
      pendingSent = Promise.promise();
      long batch = ++batches;
      context.runOnContext(v -> {
        if (batches == batch) {
          flush();
        }
      });
    }
    pending.add(frame);
    Future<Void> sent = pendingSent.future();
    if (pending.size() >= MAX_FRAMES) {
      flush();
    }
    return sent;
  }

  private void flush() {
    if (pending == null) {
      return;
    }
    FrameBatch batch = new FrameBatch(pending);
    Promise<Void> sent = pendingSent;
    pending = null;
    pendingSent = null;
    sender.write(batch).onComplete(sent);
  }
}
