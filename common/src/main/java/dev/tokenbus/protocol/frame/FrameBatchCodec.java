package dev.tokenbus.protocol.frame;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import java.util.ArrayList;
import java.util.List;

/**
 * The event-bus codec for a {@link FrameBatch}. Within one JVM the batch is handed over as is;
 * between nodes it travels as
 *
 * <pre>int length | varint count | (varint frameLength | frame)*</pre>
 *
 * where each frame is what {@link FrameCodec} writes after its own length prefix. Every length is
 * checked against the bytes that remain, and each frame must end exactly where its length says.
 * {@link FrameCodec#register} registers this codec too.
 */
public final class FrameBatchCodec implements MessageCodec<FrameBatch, FrameBatch> {

  public static final String NAME = "tokenbus-frames";

  static final FrameBatchCodec INSTANCE = new FrameBatchCodec();

  /** The fewest bytes a frame can take inside a batch: its length, its type, its stream id. */
  private static final int MIN_FRAME_BYTES = 3;

  private FrameBatchCodec() {}

  /** Options that send a batch with this codec. */
  public static DeliveryOptions options() {
    return new DeliveryOptions().setCodecName(NAME);
  }

  /** The batch as bytes, as it would go over the wire (without the event bus's own envelope). */
  public static Buffer toBuffer(FrameBatch batch) {
    Buffer buffer = Buffer.buffer(64);
    INSTANCE.encodeToWire(buffer, batch);
    return buffer;
  }

  /** Reads a batch that {@link #toBuffer} wrote. */
  public static FrameBatch fromBuffer(Buffer buffer) {
    return INSTANCE.decodeFromWire(0, buffer);
  }

  @Override
  public void encodeToWire(Buffer buffer, FrameBatch batch) {
    WireWriter out = new WireWriter(64 * batch.frames().size());
    WireWriter one = new WireWriter(64);
    out.writeVarInt(batch.frames().size());
    for (Frame frame : batch.frames()) {
      one.reset();
      FrameEncoder.encode(frame, one);
      out.writeSized(one);
    }
    FrameCodec.appendLengthPrefixed(buffer, out);
  }

  @Override
  public FrameBatch decodeFromWire(int pos, Buffer buffer) {
    WireReader in = FrameCodec.lengthPrefixed(pos, buffer, "frame batch");
    int count = in.readCount(MIN_FRAME_BYTES, "frame");
    if (count == 0) {
      throw new MalformedFrameException("a frame batch holds at least one frame");
    }
    List<Frame> frames = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      frames.add(FrameDecoder.decode(in.slice(in.readVarInt(), "frame " + i + " of the batch")));
    }
    in.expectEnd("FrameBatch");
    return new FrameBatch(frames);
  }

  /** Local delivery: a batch and its frames are immutable, so the receiver can have the same object. */
  @Override
  public FrameBatch transform(FrameBatch batch) {
    return batch;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** -1 marks a user codec. */
  @Override
  public byte systemCodecID() {
    return -1;
  }
}
