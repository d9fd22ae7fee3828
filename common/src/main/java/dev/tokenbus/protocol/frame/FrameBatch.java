package dev.tokenbus.protocol.frame;

import java.util.List;
import java.util.function.Consumer;

/**
 * Several frames for one endpoint in one event-bus message, in the order they were sent: what a
 * worker sends a gateway when the tokens of many streams are ready at once (a decode step gives a
 * token to every running sequence). One message instead of one per frame spares both ends the
 * event bus's per-message work (envelope, address, metrics, a parser pass) and the receiver's
 * garbage; the frames inside are the same as alone. Travels with {@link FrameBatchCodec}.
 *
 * <p>An endpoint that receives frames accepts both: use {@link #forEach} on a message's body.
 * Requests (an OPEN, a probe) are never batched: they have a reply of their own.
 *
 * @param frames at least one
 */
public record FrameBatch(List<Frame> frames) {

  public FrameBatch {
    frames = List.copyOf(frames);
    if (frames.isEmpty()) {
      throw new IllegalArgumentException("a batch holds at least one frame");
    }
  }

  /**
   * Hands {@code action} the frame that {@code body} is, or each frame of the batch it is, in order.
   *
   * @throws IllegalArgumentException if {@code body} is neither
   */
  public static void forEach(Object body, Consumer<? super Frame> action) {
    switch (body) {
      case Frame frame -> action.accept(frame);
      case FrameBatch batch -> batch.frames().forEach(action);
      case null, default -> throw new IllegalArgumentException("not a frame nor a batch of frames: "
          + (body == null ? "null" : body.getClass().getName()));
    }
  }
}
