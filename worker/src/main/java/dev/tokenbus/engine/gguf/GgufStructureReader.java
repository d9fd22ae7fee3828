package dev.tokenbus.engine.gguf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a GGUF file's header, key-value pairs and tensor infos, never its tensor data. Rejects what cannot be parsed
 * safely: bad magic, unsupported versions, unknown value types, lengths past the end of the file, bad tensor infos.
 */
final class GgufStructureReader {
  static final String TOKENS = "tokenizer.ggml.tokens";
  /** The only string values worth decoding; all others are skipped (bounds-checked). */
  static final Set<String> DECODED_STRINGS = Set.of(
      "general.architecture", "general.name", "tokenizer.ggml.model", "tokenizer.chat_template");

  /** ggml's GGML_MAX_NAME is 64 including the terminating NUL. */
  static final int MAX_TENSOR_NAME_BYTES = 63;
  static final int MAX_DIMS = 4;
  private static final int MAX_KEY_BYTES = 64 * 1024;
  private static final int MAX_DECODED_STRING_BYTES = 16 * 1024 * 1024;

  private final GgufCursor cursor;
  /** Kept whole: the vocabulary checks need every token. */
  private List<String> tokens;

  private GgufStructureReader(GgufCursor cursor) {
    this.cursor = cursor;
  }

  static GgufStructure read(GgufCursor cursor) throws GgufFormatException {
    return new GgufStructureReader(cursor).read();
  }

  private GgufStructure read() throws GgufFormatException {
    checkMagic();
    int version = readVersion();
    long tensorCount = cursor.u64();
    long kvCount = cursor.u64();
    checkCount(tensorCount, "tensors");
    checkCount(kvCount, "key-value pairs");

    Map<String, MetadataEntry> metadata = new LinkedHashMap<>();
    for (long i = 1; i <= kvCount; i++) {
      cursor.within("key-value pair #" + i);
      String key = cursor.string("key", StandardCharsets.UTF_8, MAX_KEY_BYTES);
      cursor.within("key-value pair #" + i + " ('" + key + "')");
      GgufValueType type = valueType(cursor.u32(), "value type of '" + key + "'");
      MetadataEntry entry = readValue(key, type);
      if (metadata.putIfAbsent(key, entry) != null) {
        throw cursor.error("duplicate key '" + key + "'");
      }
    }

    List<TensorInfo> tensors = new ArrayList<>((int) Math.min(tensorCount, 4096));
    Set<String> names = new HashSet<>();
    for (long i = 1; i <= tensorCount; i++) {
      cursor.within("tensor info #" + i);
      TensorInfo tensor = readTensorInfo();
      if (!names.add(tensor.name())) {
        throw cursor.error("duplicate tensor '" + tensor.name() + "'");
      }
      tensors.add(tensor);
    }
    return new GgufStructure(version, metadata, tokens, tensors, cursor.position());
  }

  private void checkMagic() throws GgufFormatException {
    if (cursor.size() < 4) {
      throw cursor.error("not a GGUF file (only " + cursor.size() + " bytes)");
    }
    int[] magic = {cursor.u8(), cursor.u8(), cursor.u8(), cursor.u8()};
    if (magic[0] != 'G' || magic[1] != 'G' || magic[2] != 'U' || magic[3] != 'F') {
      StringBuilder shown = new StringBuilder();
      for (int b : magic) {
        shown.append(b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02X", b));
      }
      throw cursor.error("not a GGUF file (magic '" + shown + "', expected 'GGUF')");
    }
  }

  private int readVersion() throws GgufFormatException {
    int version = cursor.u32();
    if (version == 2 || version == 3) {
      return version;
    }
    int swapped = Integer.reverseBytes(version);
    if (swapped == 2 || swapped == 3) {
      throw cursor.error("big-endian GGUF (version " + swapped + ") is not supported");
    }
    if (version == 1) {
      throw cursor.error("GGUF version 1 is no longer supported (only versions 2 and 3); convert the model again");
    }
    throw cursor.error("unsupported GGUF version " + Integer.toUnsignedString(version)
        + " (only versions 2 and 3 are supported)");
  }

  /**
   * Rejects counts no file of this size could hold (each entry takes at least one byte). Smaller wrong counts need
   * no check: every entry read is bounds-checked, so a truncated file fails at the entry where it ends.
   */
  private void checkCount(long count, String what) throws GgufFormatException {
    if (count < 0 || count > cursor.size()) {
      throw cursor.error("corrupt or truncated header: it claims " + Long.toUnsignedString(count) + " " + what
          + " but the file has only " + cursor.size() + " bytes");
    }
  }

  private GgufValueType valueType(int id, String what) throws GgufFormatException {
    GgufValueType type = GgufValueType.byId(id);
    if (type == null) {
      throw cursor.error("unknown " + what + ": " + Integer.toUnsignedString(id) + " (in " + cursor.context() + ")");
    }
    return type;
  }

  private MetadataEntry readValue(String key, GgufValueType type) throws GgufFormatException {
    return switch (type) {
      case UINT8 -> scalar(key, type, (long) cursor.u8());
      case INT8 -> scalar(key, type, (long) (byte) cursor.u8());
      case UINT16 -> scalar(key, type, (long) cursor.u16());
      case INT16 -> scalar(key, type, (long) (short) cursor.u16());
      case UINT32 -> scalar(key, type, Integer.toUnsignedLong(cursor.u32()));
      case INT32 -> scalar(key, type, (long) cursor.u32());
      case UINT64, INT64 -> scalar(key, type, cursor.u64());
      case FLOAT32 -> scalar(key, type, Float.intBitsToFloat(cursor.u32()));
      case FLOAT64 -> scalar(key, type, Double.longBitsToDouble(cursor.u64()));
      case BOOL -> scalar(key, type, cursor.u8() != 0);
      case STRING -> scalar(key, type, DECODED_STRINGS.contains(key)
          ? cursor.string("string value", StandardCharsets.UTF_8, MAX_DECODED_STRING_BYTES)
          : skipString("string value"));
      case ARRAY -> readArray(key);
    };
  }

  private static MetadataEntry scalar(String key, GgufValueType type, Object value) {
    return new MetadataEntry(key, type, null, 1, value);
  }

  private Object skipString(String what) throws GgufFormatException {
    cursor.skipString(what);
    return null;
  }

  /** Of arrays only the element type and count are kept, except the tokens themselves. */
  private MetadataEntry readArray(String key) throws GgufFormatException {
    long at = cursor.position();
    GgufValueType elementType = valueType(cursor.u32(), "element type of '" + key + "'");
    long count = cursor.u64();
    cursor.checkFits(count, elementType.minimumSize(), "array '" + key + "'", at);
    if (key.equals(TOKENS) && elementType == GgufValueType.STRING) {
      tokens = readTokens(key, count);
    } else {
      skipElements(key, elementType, count);
    }
    return new MetadataEntry(key, GgufValueType.ARRAY, elementType, count, null);
  }

  private void skipElements(String key, GgufValueType elementType, long count) throws GgufFormatException {
    switch (elementType) {
      case ARRAY -> throw cursor.error("'" + key + "' is an array of arrays, which GGUF readers do not support");
      case STRING -> {
        for (long i = 0; i < count; i++) {
          cursor.skipString("element " + i + " of '" + key + "'");
        }
      }
      default -> cursor.skip(count * elementType.fixedSize());
    }
  }

  private List<String> readTokens(String key, long count) throws GgufFormatException {
    List<String> tokens = new ArrayList<>((int) Math.min(count, 1 << 20));
    for (long i = 0; i < count; i++) {
      long length = cursor.stringLength("token " + i + " of '" + key + "'");
      if (length > Integer.MAX_VALUE) {
        throw cursor.error("token " + i + " of '" + key + "' is " + length + " bytes long");
      }
      tokens.add(cursor.decode(length, StandardCharsets.ISO_8859_1));
    }
    return tokens;
  }

  private TensorInfo readTensorInfo() throws GgufFormatException {
    long at = cursor.position();
    long nameLength = cursor.stringLength("tensor name");
    if (nameLength > MAX_TENSOR_NAME_BYTES) {
      throw cursor.error("tensor name at byte " + at + " is " + nameLength + " bytes long; ggml allows at most "
          + MAX_TENSOR_NAME_BYTES + " (in " + cursor.context() + ")");
    }
    String name = cursor.decode(nameLength, StandardCharsets.UTF_8);
    cursor.within(cursor.context() + " ('" + name + "')");
    int dimCount = cursor.u32();
    if (dimCount < 1 || dimCount > MAX_DIMS) {
      throw cursor.error("tensor '" + name + "' has " + Integer.toUnsignedString(dimCount)
          + " dimensions; ggml supports 1 to " + MAX_DIMS);
    }
    long[] dims = new long[dimCount];
    long elements = 1;
    for (int d = 0; d < dimCount; d++) {
      dims[d] = cursor.u64();
      if (dims[d] < 0) {
        throw cursor.error("tensor '" + name + "' has dimension " + Long.toUnsignedString(dims[d])
            + ", more than ggml supports");
      }
      try {
        elements = Math.multiplyExact(elements, dims[d]);
      } catch (ArithmeticException e) {
        throw cursor.error("tensor '" + name + "' has more elements than ggml supports");
      }
    }
    int typeId = cursor.u32();
    long offset = cursor.u64();
    return new TensorInfo(name, dims, typeId, offset, elements);
  }
}
