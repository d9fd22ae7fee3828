package dev.tokenbus.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameBatchCodecTest {

  private static FrameBatch everySample() {
    List<Frame> frames = new ArrayList<>(FrameSamples.all());
    frames.addAll(FrameSamples.binaryOnly());
    return new FrameBatch(frames);
  }

  @Test
  void aBatchOfEveryFrameSurvivesTheWireInOrder() {
    FrameBatch batch = everySample();
    assertThat(FrameBatchCodec.fromBuffer(FrameBatchCodec.toBuffer(batch))).isEqualTo(batch);
    FrameBatch one = new FrameBatch(List.of(new CreditFrame("s", 3)));
    assertThat(FrameBatchCodec.fromBuffer(FrameBatchCodec.toBuffer(one))).isEqualTo(one);
  }

  @Test
  void aBatchCostsAVarintPerFrameMoreThanItsFrames() {
    FrameBatch batch = everySample();
    int alone = 0;
    for (Frame f : batch.frames()) {
      alone += FrameCodec.toBuffer(f).length() - Integer.BYTES;
    }
    int batched = FrameBatchCodec.toBuffer(batch).length() - Integer.BYTES;
    assertThat(batched - alone).isBetween(1 + batch.frames().size(), 2 + 2 * batch.frames().size());
  }

  @Test
  void decodesAtAnOffsetInsideALargerBuffer() {
    FrameBatch batch = everySample();
    Buffer wire = Buffer.buffer().appendString("envelope:");
    int pos = wire.length();
    FrameBatchCodec.INSTANCE.encodeToWire(wire, batch);
    assertThat(FrameBatchCodec.INSTANCE.decodeFromWire(pos, wire)).isEqualTo(batch);
    assertThat(FrameBatchCodec.INSTANCE.transform(batch)).isSameAs(batch);
    assertThat(FrameBatchCodec.options().getCodecName()).isEqualTo(FrameBatchCodec.NAME);
  }

  @Test
  void anEmptyBatchIsNeitherMadeNorRead() {
    assertThatThrownBy(() -> new FrameBatch(List.of())).isInstanceOf(IllegalArgumentException.class);
    Buffer empty = Buffer.buffer().appendInt(1).appendByte((byte) 0);
    assertThatThrownBy(() -> FrameBatchCodec.fromBuffer(empty)).isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("at least one");
  }

  @Test
  void everyTruncationIsRejected() {
    byte[] full = FrameBatchCodec.toBuffer(new FrameBatch(FrameSamples.all().subList(0, 4))).getBytes();
    for (int cut = 0; cut < full.length; cut++) {
      Buffer truncated = Buffer.buffer(Arrays.copyOf(full, cut));
      assertThatThrownBy(() -> FrameBatchCodec.fromBuffer(truncated)).as("cut at %d", cut)
          .isInstanceOf(MalformedFrameException.class);
      if (cut > Integer.BYTES) {
        Buffer consistent = Buffer.buffer(Arrays.copyOf(full, cut)).setInt(0, cut - Integer.BYTES);
        assertThatThrownBy(() -> FrameBatchCodec.fromBuffer(consistent)).as("body cut at %d", cut)
            .isInstanceOf(MalformedFrameException.class);
      }
    }
  }

  @Test
  void aFrameMustEndWhereItsLengthSays() {
    byte[] credit = Arrays.copyOfRange(FrameCodec.toBuffer(new CreditFrame("s", 3)).getBytes(), Integer.BYTES,
        FrameCodec.toBuffer(new CreditFrame("s", 3)).length());
    // Said one byte longer than it is: the frame reads a trailing byte of its own.
    Buffer longer = batchOf(1, credit.length + 1, credit, new byte[] {0});
    assertThatThrownBy(() -> FrameBatchCodec.fromBuffer(longer)).isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("trailing");
    // Said one byte shorter: the frame is cut, and cannot read past its length into the next.
    Buffer shorter = batchOf(1, credit.length - 1, credit, new byte[0]);
    assertThatThrownBy(() -> FrameBatchCodec.fromBuffer(shorter)).isInstanceOf(MalformedFrameException.class);
    // A length past the end, a negative one, a count larger than the bytes can hold.
    assertThatThrownBy(() -> FrameBatchCodec.fromBuffer(batchOf(1, 1000, credit, new byte[0])))
        .isInstanceOf(MalformedFrameException.class);
    assertThatThrownBy(() -> FrameBatchCodec.fromBuffer(batchOf(1, -1, credit, new byte[0])))
        .isInstanceOf(MalformedFrameException.class);
    assertThatThrownBy(() -> FrameBatchCodec.fromBuffer(batchOf(Integer.MAX_VALUE, credit.length, credit,
        new byte[0]))).isInstanceOf(MalformedFrameException.class).hasMessageContaining("frame count");
    // Bytes after the last frame.
    assertThatThrownBy(() -> FrameBatchCodec.fromBuffer(batchOf(1, credit.length, credit, new byte[] {7})))
        .isInstanceOf(MalformedFrameException.class).hasMessageContaining("FrameBatch");
  }

  @Test
  void randomCorruptionDecodesOrFailsCleanly() {
    Random random = new Random(7);
    byte[] clean = FrameBatchCodec.toBuffer(new FrameBatch(FrameSamples.all())).getBytes();
    for (int round = 0; round < 5_000; round++) {
      byte[] bytes = clean.clone();
      int flips = 1 + random.nextInt(4);
      for (int i = 0; i < flips; i++) {
        int at = random.nextBoolean() ? Integer.BYTES + random.nextInt(bytes.length - Integer.BYTES)
            : random.nextInt(bytes.length);
        bytes[at] = (byte) random.nextInt(256);
      }
      try {
        assertThat(FrameBatchCodec.fromBuffer(Buffer.buffer(bytes)).frames()).isNotEmpty();
      } catch (MalformedFrameException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
    }
  }

  @Test
  void forEachTakesAFrameOrABatchAndNothingElse() {
    List<Frame> seen = new ArrayList<>();
    CreditFrame credit = new CreditFrame("s", 1);
    FrameBatch.forEach(credit, seen::add);
    FrameBatch.forEach(new FrameBatch(List.of(credit, new CancelFrame("s", "gone"))), seen::add);
    assertThat(seen).containsExactly(credit, credit, new CancelFrame("s", "gone"));
    assertThatThrownBy(() -> FrameBatch.forEach("text", seen::add)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FrameBatch.forEach(null, seen::add)).isInstanceOf(IllegalArgumentException.class);
  }

  /** A batch body: count, one frame's declared length and bytes, then {@code after}. */
  private static Buffer batchOf(int count, int declaredLength, byte[] frame, byte[] after) {
    WireWriter w = new WireWriter(32);
    w.writeVarInt(count);
    w.writeVarInt(declaredLength);
    for (byte b : frame) {
      w.writeByte(b);
    }
    for (byte b : after) {
      w.writeByte(b);
    }
    return Buffer.buffer().appendInt(w.size()).appendBytes(w.array(), 0, w.size());
  }
}
