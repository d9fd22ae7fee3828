package dev.tokenbus.protocol.frame;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The event-bus codec for every {@link Frame}. Within one JVM a frame is handed over as is (frames
 * are immutable); between nodes it travels as
 *
 * <pre>int length | byte type | fields</pre>
 *
 * where {@code length} counts the bytes after it. Fields are varints, 8-byte doubles, UTF-8 strings
 * behind a varint length (0 = null), presence bytes for nullable records, and counts for lists.
 * The length prefix lets the decoder check that a frame ends exactly where it says.
 */
public final class FrameCodec implements MessageCodec<Frame, Frame> {

  public static final String NAME = "tokenbus-frame";

  private static final FrameCodec INSTANCE = new FrameCodec();
  private static final Set<EventBus> REGISTERED = Collections.synchronizedSet(
      Collections.newSetFromMap(new WeakHashMap<>()));

  /**
   * Registers this codec and {@link FrameBatchCodec} on {@code bus} unless they already are; safe to
   * call from every verticle.
   */
  public static void register(EventBus bus) {
    if (REGISTERED.add(bus)) {
      for (MessageCodec<?, ?> codec : List.of(INSTANCE, FrameBatchCodec.INSTANCE)) {
        try {
          bus.registerCodec(codec);
        } catch (IllegalStateException alreadyRegistered) {
          // Someone registered it directly; it is the same codec, so that is fine.
        }
      }
    }
  }

  /** Options that send a frame with this codec (the bus has no default codec for frame records). */
  public static DeliveryOptions options() {
    return new DeliveryOptions().setCodecName(NAME);
  }

  /** The frame as bytes, as it would go over the wire (without the event bus's own envelope). */
  public static Buffer toBuffer(Frame frame) {
    Buffer buffer = Buffer.buffer(64);
    INSTANCE.encodeToWire(buffer, frame);
    return buffer;
  }

  /** Reads a frame that {@link #toBuffer} wrote. */
  public static Frame fromBuffer(Buffer buffer) {
    return INSTANCE.decodeFromWire(0, buffer);
  }

  @Override
  public void encodeToWire(Buffer buffer, Frame frame) {
    WireWriter writer = new WireWriter(64);
    FrameEncoder.encode(frame, writer);
    appendLengthPrefixed(buffer, writer);
  }

  @Override
  public Frame decodeFromWire(int pos, Buffer buffer) {
    return FrameDecoder.decode(lengthPrefixed(pos, buffer, "frame"));
  }

  /** Appends what {@code writer} holds behind an int of its length: how both frame codecs put a message on the wire. */
  static void appendLengthPrefixed(Buffer buffer, WireWriter writer) {
    buffer.appendInt(writer.size());
    buffer.appendBytes(writer.array(), 0, writer.size());
  }

  /**
   * A reader of the body that {@link #appendLengthPrefixed} wrote at {@code pos}, once its length is
   * checked against the bytes there.
   *
   * @param what the message's name in errors, e.g. {@code frame}
   */
  static WireReader lengthPrefixed(int pos, Buffer buffer, String what) {
    if (pos < 0 || buffer.length() - pos < Integer.BYTES) {
      throw new MalformedFrameException("truncated " + what + ": no length prefix at offset " + pos + " of "
          + buffer.length());
    }
    int length = buffer.getInt(pos);
    int available = buffer.length() - pos - Integer.BYTES;
    if (length < 1 || length > available) {
      throw new MalformedFrameException(what + " length " + length + " does not fit the " + available
          + " bytes after its prefix");
    }
    int start = pos + Integer.BYTES;
    return new WireReader(buffer.getBytes(start, start + length));
  }

  /** Local delivery: frames are immutable records, so the receiver can have the same object. */
  @Override
  public Frame transform(Frame frame) {
    return frame;
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
