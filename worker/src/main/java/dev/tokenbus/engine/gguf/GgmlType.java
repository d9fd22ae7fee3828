package dev.tokenbus.engine.gguf;

/**
 * The ggml tensor types a GGUF file can hold, with their block geometry: a tensor row is stored as
 * {@code ne[0] / blockSize} blocks of {@code blockBytes} bytes. Ids that ggml retired (4, 5, 31-33, 36-38) are absent.
 */
public enum GgmlType {
  F32(0, 1, 4),
  F16(1, 1, 2),
  Q4_0(2, 32, 18),
  Q4_1(3, 32, 20),
  Q5_0(6, 32, 22),
  Q5_1(7, 32, 24),
  Q8_0(8, 32, 34),
  Q8_1(9, 32, 36),
  Q2_K(10, 256, 84),
  Q3_K(11, 256, 110),
  Q4_K(12, 256, 144),
  Q5_K(13, 256, 176),
  Q6_K(14, 256, 210),
  Q8_K(15, 256, 292),
  IQ2_XXS(16, 256, 66),
  IQ2_XS(17, 256, 74),
  IQ3_XXS(18, 256, 98),
  IQ1_S(19, 256, 50),
  IQ4_NL(20, 32, 18),
  IQ3_S(21, 256, 110),
  IQ2_S(22, 256, 82),
  IQ4_XS(23, 256, 136),
  I8(24, 1, 1),
  I16(25, 1, 2),
  I32(26, 1, 4),
  I64(27, 1, 8),
  F64(28, 1, 8),
  IQ1_M(29, 256, 56),
  BF16(30, 1, 2),
  TQ1_0(34, 256, 54),
  TQ2_0(35, 256, 66),
  MXFP4(39, 32, 17);

  private final int id;
  private final int blockSize;
  private final int blockBytes;

  GgmlType(int id, int blockSize, int blockBytes) {
    this.id = id;
    this.blockSize = blockSize;
    this.blockBytes = blockBytes;
  }

  public int id() {
    return id;
  }

  /** Elements per block. */
  public int blockSize() {
    return blockSize;
  }

  /** Bytes per block. */
  public int blockBytes() {
    return blockBytes;
  }

  /**
   * Bytes that {@code elements} values of this type take, or -1 when that overflows a long.
   * The caller checks first that the row length is a multiple of {@link #blockSize()}.
   */
  public long byteSize(long elements) {
    long blocks = elements / blockSize;
    return blocks > Long.MAX_VALUE / blockBytes ? -1 : blocks * blockBytes;
  }

  /** The type with this id, or null when ggml (as far as this code knows) has none. */
  public static GgmlType byId(int id) {
    for (GgmlType type : values()) {
      if (type.id == id) {
        return type;
      }
    }
    return null;
  }
}
