package dev.tokenbus.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWriterTest {
  @TempDir
  Path dir;

  @Test
  void writesHeaderMetadataAndPaddedTensorData() throws IOException {
    GgufWriter writer = new GgufWriter()
        .putString("general.architecture", "test")
        .putU32("a.u32", 7)
        .putI32("a.i32", -5)
        .putU64("a.u64", 1L << 40)
        .putF32("a.f32", 0.5f)
        .putBool("a.bool", true)
        .putStringArray("a.strings", List.of("x", "yz"))
        .putF32Array("a.floats", new float[] {1, 2})
        .putI32Array("a.ints", new int[] {3})
        .addTensor("three", GgmlType.F32, new long[] {3}, new float[] {1, 2, 3})
        .addTensor("half", GgmlType.F16, new long[] {2, 1}, new float[] {1, -2});
    Path file = dir.resolve("w.gguf");
    GgufLayout layout = writer.writeTo(file);

    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(new String(bytes.array(), 0, 4)).isEqualTo("GGUF");
    assertThat(bytes.getInt(4)).isEqualTo(3);
    assertThat(bytes.getLong(8)).isEqualTo(2);  // tensors
    assertThat(bytes.getLong(16)).isEqualTo(9); // key-value pairs
    assertThat(layout.metadataStart()).isEqualTo(24);
    assertThat(layout.dataStart() % 32).isZero();
    assertThat(layout.fileSize()).isEqualTo(Files.size(file));
    // "three" takes 12 bytes, padded to 32; then "half" (2 x F16).
    assertThat(bytes.getFloat((int) layout.dataStart() + 8)).isEqualTo(3f);
    assertThat(bytes.getShort((int) layout.dataStart() + 32)).isEqualTo((short) 0x3C00);  // 1.0 in F16
    assertThat(bytes.getShort((int) layout.dataStart() + 34)).isEqualTo((short) 0xC000); // -2.0

    GgufStructure read = readStructure(file);
    assertThat(read.metadata().keySet()).containsExactly("general.architecture", "a.u32", "a.i32", "a.u64",
        "a.f32", "a.bool", "a.strings", "a.floats", "a.ints");
    assertThat(read.entry("a.u32").type()).isEqualTo(GgufValueType.UINT32);
    assertThat(read.entry("a.u32").integer()).isEqualTo(7L);
    assertThat(read.entry("a.i32").integer()).isEqualTo(-5L);
    assertThat(read.entry("a.u64").integer()).isEqualTo(1L << 40);
    assertThat(read.entry("a.f32").value()).isEqualTo(0.5f);
    assertThat(read.entry("a.bool").value()).isEqualTo(true);
    assertThat(read.entry("a.strings").isArrayOf(GgufValueType.STRING)).isTrue();
    assertThat(read.entry("a.strings").count()).isEqualTo(2);
    assertThat(read.entry("a.floats").isArrayOf(GgufValueType.FLOAT32)).isTrue();
    assertThat(read.entry("a.ints").isArrayOf(GgufValueType.INT32)).isTrue();
    assertThat(read.string("general.architecture")).isEqualTo("test");
    assertThat(read.tensors()).extracting(TensorInfo::name, TensorInfo::offset, TensorInfo::typeId)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("three", 0L, 0),
            org.assertj.core.groups.Tuple.tuple("half", 32L, 1));
    assertThat(layout.tensorInfoStart()).isLessThan(read.tensorInfoEnd());
  }

  @Test
  void puttingAKeyAgainReplacesItInPlace() throws IOException {
    GgufWriter writer = new GgufWriter().putU32("first", 1).putU32("second", 2).putU64("first", 3);
    Path file = dir.resolve("replaced.gguf");
    writer.writeTo(file);
    GgufStructure read = readStructure(file);
    assertThat(read.metadata().keySet()).containsExactly("first", "second");
    assertThat(read.entry("first").type()).isEqualTo(GgufValueType.UINT64);
  }

  @Test
  void rejectsInconsistentTensorsAndValues() {
    GgufWriter writer = new GgufWriter();
    assertThatThrownBy(() -> writer.addTensor("t", GgmlType.F32, new long[] {2, 2}, new float[3]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds 4 values");
    assertThatThrownBy(() -> writer.addTensor("q", GgmlType.Q4_0, new long[] {32}, new float[32]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only F32 and F16");
    assertThatThrownBy(() -> writer.putU32("k", -1)).isInstanceOf(IllegalArgumentException.class);
    writer.addTensor("t", GgmlType.F32, new long[] {1}, new float[1]);
    assertThatThrownBy(() -> writer.addTensor("t", GgmlType.F32, new long[] {1}, new float[1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate tensor");
  }

  static GgufStructure readStructure(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file); Arena arena = Arena.ofConfined()) {
      MemorySegment bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
      return GgufStructureReader.read(new GgufCursor(file, bytes));
    }
  }
}
