package dev.tokenbus.engine.gguf;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a GGUF v3 little-endian file: header, typed key-value pairs, tensor infos, then the tensor data aligned to 32.
 *
 * <p>Collect the metadata and tensors first (the header needs their counts), then call {@link #writeTo}. Putting a key
 * again replaces its value but keeps its position, so a filled writer can be tweaked into a variant (tests build
 * corrupt files that way). No {@code general.alignment} key is written: readers then use the default of 32.
 */
public final class GgufWriter {
  public static final int VERSION = 3;
  public static final int ALIGNMENT = 32;
  static final byte[] MAGIC = {'G', 'G', 'U', 'F'};

  private final Map<String, Value> metadata = new LinkedHashMap<>();
  private final Map<String, Tensor> tensors = new LinkedHashMap<>();

  public GgufWriter putU32(String key, long value) {
    if (value < 0 || value > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException(key + ": " + value + " does not fit a u32");
    }
    return put(key, new U32((int) value));
  }

  public GgufWriter putI32(String key, int value) {
    return put(key, new I32(value));
  }

  public GgufWriter putU64(String key, long value) {
    return put(key, new U64(value));
  }

  public GgufWriter putF32(String key, float value) {
    return put(key, new F32(value));
  }

  public GgufWriter putBool(String key, boolean value) {
    return put(key, new Bool(value));
  }

  public GgufWriter putString(String key, String value) {
    return put(key, new Str(Objects.requireNonNull(value, key)));
  }

  public GgufWriter putStringArray(String key, List<String> values) {
    return put(key, new StrArray(List.copyOf(values)));
  }

  public GgufWriter putF32Array(String key, float[] values) {
    return put(key, new F32Array(values.clone()));
  }

  public GgufWriter putI32Array(String key, int[] values) {
    return put(key, new I32Array(values.clone()));
  }

  public GgufWriter remove(String key) {
    metadata.remove(key);
    return this;
  }

  public boolean has(String key) {
    return metadata.containsKey(key);
  }

  /**
   * Adds a tensor. {@code shape} is in GGUF order (ne[0] varies fastest): a matmul weight is {@code [n_in, n_out]}
   * and {@code data} holds n_out rows of n_in values. Data is stored as F32 or F16; the writer keeps the array.
   */
  public GgufWriter addTensor(String name, GgmlType type, long[] shape, float[] data) {
    if (type != GgmlType.F32 && type != GgmlType.F16) {
      throw new IllegalArgumentException(name + ": only F32 and F16 can be written, not " + type);
    }
    if (shape.length < 1 || shape.length > 4) {
      throw new IllegalArgumentException(name + ": a tensor has 1 to 4 dimensions");
    }
    long elements = 1;
    for (long dim : shape) {
      elements *= dim;
    }
    if (elements != data.length) {
      throw new IllegalArgumentException(name + ": shape holds " + elements + " values, data has " + data.length);
    }
    if (tensors.putIfAbsent(name, new Tensor(name, type, shape.clone(), data)) != null) {
      throw new IllegalArgumentException("duplicate tensor " + name);
    }
    return this;
  }

  public int tensorCount() {
    return tensors.size();
  }

  /** Writes the file, replacing any file at {@code file}. */
  public GgufLayout writeTo(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
       GgufOutput out = new GgufOutput(channel)) {
      out.bytes(MAGIC);
      out.u32(VERSION);
      out.u64(tensors.size());
      out.u64(metadata.size());

      long metadataStart = out.position();
      for (Map.Entry<String, Value> entry : metadata.entrySet()) {
        out.string(entry.getKey());
        out.u32(entry.getValue().type().id());
        entry.getValue().writeBody(out);
      }

      long tensorInfoStart = out.position();
      long offset = 0; // relative to the data section: the running sum of padded sizes
      for (Tensor tensor : tensors.values()) {
        out.string(tensor.name());
        out.u32(tensor.shape().length);
        for (long dim : tensor.shape()) {
          out.u64(dim);
        }
        out.u32(tensor.type().id());
        out.u64(offset);
        offset += padded(tensor.byteSize());
      }

      out.padTo(ALIGNMENT);
      long dataStart = out.position();
      for (Tensor tensor : tensors.values()) {
        tensor.writeData(out);
        out.padTo(ALIGNMENT);
      }
      return new GgufLayout(metadataStart, tensorInfoStart, dataStart, out.position());
    }
  }

  private static long padded(long size) {
    return (size + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  private GgufWriter put(String key, Value value) {
    if (key.getBytes(StandardCharsets.UTF_8).length == 0) {
      throw new IllegalArgumentException("empty key");
    }
    metadata.put(key, value);
    return this;
  }

  private record Tensor(String name, GgmlType type, long[] shape, float[] data) {
    long byteSize() {
      return type.byteSize(data.length);
    }

    void writeData(GgufOutput out) throws IOException {
      if (type == GgmlType.F16) {
        for (float value : data) {
          out.f16(value);
        }
      } else {
        for (float value : data) {
          out.f32(value);
        }
      }
    }
  }

  /** A metadata value: its type id and the bytes that follow it. */
  private sealed interface Value {
    GgufValueType type();

    void writeBody(GgufOutput out) throws IOException;
  }

  private record U32(int value) implements Value {
    public GgufValueType type() {
      return GgufValueType.UINT32;
    }

    public void writeBody(GgufOutput out) throws IOException {
      out.u32(value);
    }
  }

  private record I32(int value) implements Value {
    public GgufValueType type() {
      return GgufValueType.INT32;
    }

    public void writeBody(GgufOutput out) throws IOException {
      out.u32(value);
    }
  }

  private record U64(long value) implements Value {
    public GgufValueType type() {
      return GgufValueType.UINT64;
    }

    public void writeBody(GgufOutput out) throws IOException {
      out.u64(value);
    }
  }

  private record F32(float value) implements Value {
    public GgufValueType type() {
      return GgufValueType.FLOAT32;
    }

    public void writeBody(GgufOutput out) throws IOException {
      out.f32(value);
    }
  }

  private record Bool(boolean value) implements Value {
    public GgufValueType type() {
      return GgufValueType.BOOL;
    }

    public void writeBody(GgufOutput out) throws IOException {
      out.u8(value ? 1 : 0);
    }
  }

  private record Str(String value) implements Value {
    public GgufValueType type() {
      return GgufValueType.STRING;
    }

    public void writeBody(GgufOutput out) throws IOException {
      out.string(value);
    }
  }

  private record StrArray(List<String> values) implements Value {
    public GgufValueType type() {
      return GgufValueType.ARRAY;
    }

    public void writeBody(GgufOutput out) throws IOException {
      out.u32(GgufValueType.STRING.id());
      out.u64(values.size());
      for (String value : values) {
        out.string(value);
      }
    }
  }

  private record F32Array(float[] values) implements Value {
    public GgufValueType type() {
      return GgufValueType.ARRAY;
    }

    public void writeBody(GgufOutput out) throws IOException {
      out.u32(GgufValueType.FLOAT32.id());
      out.u64(values.length);
      for (float value : values) {
        out.f32(value);
      }
    }
  }

  private record I32Array(int[] values) implements Value {
    public GgufValueType type() {
      return GgufValueType.ARRAY;
    }

    public void writeBody(GgufOutput out) throws IOException {
      out.u32(GgufValueType.INT32.id());
      out.u64(values.length);
      for (int value : values) {
        out.u32(value);
      }
    }
  }
}
