package dev.tokenbus.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

  private final FrameCodec codec = new FrameCodec();

  @Test
  void everyFrameSurvivesTheWire() {
    List<Frame> frames = new ArrayList<>(FrameSamples.all());
    frames.addAll(FrameSamples.binaryOnly());
    for (Frame frame : frames) {
      assertThat(FrameCodec.fromBuffer(FrameCodec.toBuffer(frame))).as("%s", frame).isEqualTo(frame);
    }
  }

  @Test
  void decodesAtAnOffsetInsideALargerBuffer() {
    Frame frame = FrameSamples.all().get(0);
    Buffer wire = Buffer.buffer().appendString("envelope:");
    int pos = wire.length();
    codec.encodeToWire(wire, frame);
    assertThat(codec.decodeFromWire(pos, wire)).isEqualTo(frame);
  }

  @Test
  void everyFinishReasonAndTopLogprobsRoundTrip() {
    for (FinishReason reason : FinishReason.values()) {
      TokenData last = new TokenData(5, "🙂", 42, -1.5, FrameSamples.tops(3), true, reason);
      TokensFrame frame = new TokensFrame("s", 6, List.of(FrameSamples.token(4, "日本", FrameSamples.tops(5)), last));
      TokensFrame back = (TokensFrame) FrameCodec.fromBuffer(FrameCodec.toBuffer(frame));
      assertThat(back.tokens().get(1).finishReason()).isEqualTo(reason);
      assertThat(back.tokens().get(1).isFinal()).isTrue();
      assertThat(back.tokens().get(0).isFinal()).isFalse();
      assertThat(back.tokens().get(0).topLogprobs()).isEqualTo(FrameSamples.tops(5));
      assertThat(back).isEqualTo(frame);
    }
  }

  @Test
  void theReasoningFlagRidesOnTheFinishReasonByteSoUnflaggedFramesReadAsAnswers() {
    TokensFrame answer = new TokensFrame("s", 2, List.of(FrameSamples.token(1, "x", List.of())));
    TokensFrame thought = new TokensFrame("s", 2, List.of(FrameSamples.token(1, "x", List.of()).withReasoning(true)));
    Buffer a = FrameCodec.toBuffer(answer);
    Buffer t = FrameCodec.toBuffer(thought);
    assertThat(t.length()).isEqualTo(a.length());
    assertThat(((TokensFrame) FrameCodec.fromBuffer(a)).tokens().getFirst().reasoning()).isFalse();
    assertThat(((TokensFrame) FrameCodec.fromBuffer(t)).tokens().getFirst().reasoning()).isTrue();
    for (FinishReason reason : FinishReason.values()) {
      TokenData last = new TokenData(5, "", 42, -1.5, List.of(), true, reason, true);
      TokenData back = ((TokensFrame) FrameCodec.fromBuffer(FrameCodec.toBuffer(new TokensFrame("s", 6,
          List.of(last))))).tokens().getFirst();
      assertThat(back).isEqualTo(last);
    }
  }

  @Test
  void aTypicalTokenIsCompact() {
    TokensFrame frame = new TokensFrame("cmpl-6f1c2a9e4b7d4e0c8a3f5b21", 121,
        List.of(new TokenData(120, " quick", 4013, -0.141, List.of(), false, null)));
    // 4 length + 1 type + 30 stream id + 1 generated + 1 count
    // + 1 index + 7 text + 2 token id + 8 logprob + 1 finish reason + 1 top count
    assertThat(FrameCodec.toBuffer(frame).length()).isEqualTo(57);
  }

  @Test
  void localDeliveryHandsOverTheSameObject() {
    Frame frame = FrameSamples.all().get(0);
    assertThat(codec.transform(frame)).isSameAs(frame);
    assertThat(codec.name()).isEqualTo("tokenbus-frame");
    assertThat(codec.systemCodecID()).isEqualTo((byte) -1);
    assertThat(FrameCodec.options().getCodecName()).isEqualTo(FrameCodec.NAME);
  }

  @Test
  void everyTruncationIsRejected() {
    for (Frame frame : FrameSamples.all()) {
      byte[] full = FrameCodec.toBuffer(frame).getBytes();
      for (int cut = 0; cut < full.length; cut++) {
        Buffer truncated = Buffer.buffer(Arrays.copyOf(full, cut));
        assertThatThrownBy(() -> FrameCodec.fromBuffer(truncated)).as("%s cut at %d", frame, cut)
            .isInstanceOf(MalformedFrameException.class);
        // The same bytes with a length prefix that agrees with them: the body itself is cut short.
        if (cut > Integer.BYTES) {
          Buffer consistent = Buffer.buffer(Arrays.copyOf(full, cut)).setInt(0, cut - Integer.BYTES);
          assertThatThrownBy(() -> FrameCodec.fromBuffer(consistent)).as("%s body cut at %d", frame, cut)
              .isInstanceOf(MalformedFrameException.class);
        }
      }
    }
  }

  @Test
  void trailingBytesAreRejected() {
    Buffer body = body(WireCodes.CREDIT, w -> {
      w.writeString("s");
      w.writeVarInt(3);
      w.writeByte(0);
    });
    assertThatThrownBy(() -> FrameCodec.fromBuffer(body)).isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("trailing");
  }

  @Test
  void unknownTypesAndCodesAreRejected() {
    assertThatThrownBy(() -> FrameCodec.fromBuffer(body(0x7F, w -> w.writeString("s"))))
        .isInstanceOf(MalformedFrameException.class).hasMessageContaining("unknown frame type 127");
    assertThatThrownBy(() -> FrameCodec.fromBuffer(body(WireCodes.REFUSE, w -> {
      w.writeString("s");
      w.writeByte(99);
      w.writeString(null);
      w.writeString(null);
    }))).isInstanceOf(MalformedFrameException.class).hasMessageContaining("refuse reason");
    assertThatThrownBy(() -> FrameCodec.fromBuffer(body(WireCodes.END, w -> {
      w.writeString("s");
      w.writeByte(2); // a boolean that is neither 0 nor 1
    }))).isInstanceOf(MalformedFrameException.class).hasMessageContaining("boolean");
  }

  @Test
  void hugeCountsAndLengthsFailBeforeAllocating() {
    Buffer hugeTokenCount = body(WireCodes.TOKENS, w -> {
      w.writeString("s");
      w.writeVarInt(1);
      w.writeVarInt(Integer.MAX_VALUE);
    });
    assertThatThrownBy(() -> FrameCodec.fromBuffer(hugeTokenCount)).isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("token count 2147483647");
    Buffer negativeCount = body(WireCodes.TOKENS, w -> {
      w.writeString("s");
      w.writeVarInt(1);
      w.writeVarInt(-1);
    });
    assertThatThrownBy(() -> FrameCodec.fromBuffer(negativeCount)).isInstanceOf(MalformedFrameException.class);
    Buffer hugeString = body(WireCodes.CANCEL, w -> w.writeVarInt(Integer.MAX_VALUE));
    assertThatThrownBy(() -> FrameCodec.fromBuffer(hugeString)).isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("string of");
    Buffer overlongVarint = body(WireCodes.CREDIT, w -> {
      w.writeString("s");
      for (int i = 0; i < 6; i++) {
        w.writeByte(0xFF);
      }
    });
    assertThatThrownBy(() -> FrameCodec.fromBuffer(overlongVarint)).isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("varint");
    assertThatThrownBy(() -> FrameCodec.fromBuffer(Buffer.buffer().appendInt(-5).appendByte((byte) 7)))
        .isInstanceOf(MalformedFrameException.class).hasMessageContaining("length -5");
    assertThatThrownBy(() -> FrameCodec.fromBuffer(Buffer.buffer().appendInt(Integer.MAX_VALUE)))
        .isInstanceOf(MalformedFrameException.class);
    assertThatThrownBy(() -> codec.decodeFromWire(-1, Buffer.buffer(new byte[8])))
        .isInstanceOf(MalformedFrameException.class);
  }

  @Test
  void anInvalidRequestInsideOpenIsMalformed() {
    StreamConfig config = StreamConfig.defaults();
    Buffer wire = FrameCodec.toBuffer(new OpenFrame("s", "gw", "n", 4, new GenerationRequest("s", "p", config)));
    byte[] bytes = wire.getBytes();
    // The request's prompt "p" is encoded as length+1 = 2 then 'p': make it the empty string.
    int promptAt = indexOf(bytes, new byte[] {2, 'p'});
    byte[] emptyPrompt = new byte[bytes.length - 1];
    System.arraycopy(bytes, 0, emptyPrompt, 0, promptAt);
    emptyPrompt[promptAt] = 1;
    System.arraycopy(bytes, promptAt + 2, emptyPrompt, promptAt + 1, bytes.length - promptAt - 2);
    Buffer mutated = Buffer.buffer(emptyPrompt).setInt(0, emptyPrompt.length - Integer.BYTES);
    assertThatThrownBy(() -> FrameCodec.fromBuffer(mutated)).isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("invalid request").hasMessageContaining("prompt");
  }

  @Test
  void aMessageWithAnUnknownRoleInsideOpenIsMalformed() {
    Buffer wire = FrameCodec.toBuffer(new OpenFrame("s", "gw", "n", 4, GenerationRequest.chat("s",
        List.of(new ChatMessage("user", "hi")), StreamConfig.defaults())));
    byte[] bytes = wire.getBytes();
    int roleAt = indexOf(bytes, "user".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    bytes[roleAt] = 'X'; // "Xser" is no role
    assertThatThrownBy(() -> FrameCodec.fromBuffer(Buffer.buffer(bytes))).isInstanceOf(MalformedFrameException.class)
        .hasMessageContaining("role");
  }

  @Test
  void randomCorruptionDecodesOrFailsCleanly() {
    Random random = new Random(42);
    List<Frame> frames = FrameSamples.all();
    for (int round = 0; round < 20_000; round++) {
      byte[] bytes = FrameCodec.toBuffer(frames.get(random.nextInt(frames.size()))).getBytes();
      int flips = 1 + random.nextInt(4);
      for (int i = 0; i < flips; i++) {
        // Leave the length prefix alone half of the time so that the body's own checks are reached.
        int at = random.nextBoolean() ? Integer.BYTES + random.nextInt(bytes.length - Integer.BYTES)
            : random.nextInt(bytes.length);
        bytes[at] = (byte) random.nextInt(256);
      }
      Buffer corrupt = Buffer.buffer(bytes);
      try {
        assertThat(FrameCodec.fromBuffer(corrupt)).isNotNull();
      } catch (MalformedFrameException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
    }
  }

  private interface BodyWriter {
    void write(WireWriter w);
  }

  /** A hand-made frame: a correct length prefix, the type byte, then whatever {@code fields} writes. */
  private static Buffer body(int type, BodyWriter fields) {
    WireWriter w = new WireWriter(16);
    w.writeByte(type);
    fields.write(w);
    return Buffer.buffer().appendInt(w.size()).appendBytes(w.array(), 0, w.size());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
