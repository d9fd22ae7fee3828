package dev.tokenbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The binary embeddings answer, and the worker status field that announces embeddings, on the wire. */
class EmbeddingsWireTest {

  @Test
  void vectorsTravelAsLittleEndianFloat32() {
    float[][] v = {{1f, -0.5f, 0.25f}, {Float.MIN_VALUE, 3.4e38f, -0f}};
    EmbeddingsWire w = EmbeddingsWire.decode(EmbeddingsWire.encode(v, 17));
    assertThat(w.count()).isEqualTo(2);
    assertThat(w.dimensions()).isEqualTo(3);
    assertThat(w.promptTokens()).isEqualTo(17);
    for (int i = 0; i < v.length; i++) {
      assertThat(w.vector(i)).containsExactly(v[i]);
      ByteBuffer bytes = ByteBuffer.wrap(w.vectorBytes(i).getBytes()).order(ByteOrder.LITTLE_ENDIAN);
      assertThat(bytes.remaining()).isEqualTo(12);
      for (float x : v[i]) {
        assertThat(Float.floatToRawIntBits(bytes.getFloat())).isEqualTo(Float.floatToRawIntBits(x));
      }
    }
  }

  @Test
  void anAnswerWhoseSizesDoNotAddUpIsRefused() {
    Buffer good = EmbeddingsWire.encode(new float[][] {{1f, 2f}}, 1);
    assertThatThrownBy(() -> EmbeddingsWire.decode(good.slice(0, good.length() - 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EmbeddingsWire.decode(Buffer.buffer(new byte[5]))).isInstanceOf(IllegalArgumentException.class);
    Buffer negative = Buffer.buffer().appendIntLE(-1).appendIntLE(2).appendIntLE(0);
    assertThatThrownBy(() -> EmbeddingsWire.decode(negative)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EmbeddingsWire.encode(new float[][] {{1f}, {1f, 2f}}, 2))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theEmbeddingSizeOfAWorkerStatusIsWireCompatible() {
    WorkerStatus s = new WorkerStatus("w", "n", "m", 4, 1, 1, 0, 0, 10, 100, 256, false, 7, Set.of(3L), "f", false, 896);
    assertThat(WorkerStatus.fromWire(s.toWire())).isEqualTo(s);
    assertThat(s.withSequence(8).embeddingSize()).isEqualTo(896);
    assertThat(s.withActive(1).embeddingSize()).isEqualTo(896);
    // A worker from before embeddings sends no such field: it computes none.
    JsonObject old = s.toJson();
    old.remove("embedding_size");
    assertThat(WorkerStatus.fromJson(old).embeddingSize()).isZero();
    assertThat(WorkerStatus.fromJson(old.put("embedding_size", -5)).embeddingSize()).isZero();
  }
}
