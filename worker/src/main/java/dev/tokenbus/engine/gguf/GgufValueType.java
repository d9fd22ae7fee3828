package dev.tokenbus.engine.gguf;

/** The metadata value types of GGUF, with their on-disk type ids. */
public enum GgufValueType {
  UINT8(0, 1, "u8"),
  INT8(1, 1, "i8"),
  UINT16(2, 2, "u16"),
  INT16(3, 2, "i16"),
  UINT32(4, 4, "u32"),
  INT32(5, 4, "i32"),
  FLOAT32(6, 4, "f32"),
  BOOL(7, 1, "bool"),
  /** u64 byte length + UTF-8 bytes, no terminator. */
  STRING(8, -1, "string"),
  /** u32 element type + u64 count + elements. */
  ARRAY(9, -1, "array"),
  UINT64(10, 8, "u64"),
  INT64(11, 8, "i64"),
  FLOAT64(12, 8, "f64");

  private static final GgufValueType[] BY_ID = values();

  private final int id;
  private final int fixedSize;
  private final String shortName;

  GgufValueType(int id, int fixedSize, String shortName) {
    this.id = id;
    this.fixedSize = fixedSize;
    this.shortName = shortName;
  }

  public int id() {
    return id;
  }

  /** Bytes of one value, or -1 for the variable-length string and array types. */
  public int fixedSize() {
    return fixedSize;
  }

  /** The fewest bytes a value of this type can take; bounds element counts before allocating anything. */
  int minimumSize() {
    return switch (this) {
      case STRING -> 8;
      case ARRAY -> 12;
      default -> fixedSize;
    };
  }

  public boolean isInteger() {
    return switch (this) {
      case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
      default -> false;
    };
  }

  /** The type with this id, or null when the id is unknown. */
  public static GgufValueType byId(int id) {
    // The ids are dense 0..12 and in declaration order.
    return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
  }

  @Override
  public String toString() {
    return shortName;
  }
}
