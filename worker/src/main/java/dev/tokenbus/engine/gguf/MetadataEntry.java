package dev.tokenbus.engine.gguf;

/**
 * One key-value pair as the validator keeps it: its type, and for arrays the element type and count.
 *
 * @param value for integers a Long (u64 of 2^63 and more come back negative), Float/Double, Boolean; a String only for
 *              the few string keys the validator reads ({@link GgufStructureReader#DECODED_STRINGS}); for arrays and
 *              skipped strings null
 */
record MetadataEntry(String key, GgufValueType type, GgufValueType elementType, long count, Object value) {

  boolean isArrayOf(GgufValueType element) {
    return type == GgufValueType.ARRAY && elementType == element;
  }

  /** The value of an integer entry, or null for other types; u64 values of 2^63 and more become Long.MAX_VALUE. */
  Long integer() {
    if (!type.isInteger()) {
      return null;
    }
    long signed = (Long) value;
    return type == GgufValueType.UINT64 && signed < 0 ? Long.MAX_VALUE : signed;
  }

  /** "a u64", "an array of i32": for messages. */
  String describeType() {
    return type == GgufValueType.ARRAY ? "an array of " + elementType : "a " + type;
  }
}
