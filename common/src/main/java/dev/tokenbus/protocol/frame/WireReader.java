package dev.tokenbus.protocol.frame;

import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link WireWriter} wrote, checking every read against the end of the input. Lengths
 * and counts are checked against the bytes that remain before anything is allocated, so a hostile
 * or corrupt frame costs at most its own size.
 */
final class WireReader {

  private final byte[] bytes;
  private int pos;
  private final int limit;

  WireReader(byte[] bytes) {
    this(bytes, 0, bytes.length);
  }

  /** Reads {@code bytes[offset, offset + length)}, and nothing past it. */
  WireReader(byte[] bytes, int offset, int length) {
    this.bytes = bytes;
    this.pos = offset;
    this.limit = offset + length;
  }

  /**
   * The next {@code length} bytes as a reader of their own, which reads nothing past them; this
   * reader goes on after them.
   */
  WireReader slice(int length, String what) {
    if (length < 0) {
      throw new MalformedFrameException(what + " of " + Integer.toUnsignedString(length) + " bytes at offset " + pos);
    }
    need(length, what);
    WireReader slice = new WireReader(bytes, pos, length);
    pos += length;
    return slice;
  }

  int remaining() {
    return limit - pos;
  }

  int readByte() {
    need(1, "a byte");
    return bytes[pos++] & 0xFF;
  }

  boolean readBoolean() {
    int b = readByte();
    if (b > 1) {
      throw new MalformedFrameException("a boolean must be 0 or 1, got " + b + " at offset " + (pos - 1));
    }
    return b == 1;
  }

  int readVarInt() {
    int result = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      int b = readByte();
      if (shift == 28 && (b & 0xF0) != 0) {
        throw new MalformedFrameException("varint overflows 32 bits at offset " + (pos - 1));
      }
      result |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new AssertionError("unreachable");
  }

  int readSignedVarInt() {
    int v = readVarInt();
    return (v >>> 1) ^ -(v & 1);
  }

  long readVarLong() {
    long result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      int b = readByte();
      if (shift == 63 && (b & 0xFE) != 0) {
        throw new MalformedFrameException("varint overflows 64 bits at offset " + (pos - 1));
      }
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new AssertionError("unreachable");
  }

  long readSignedVarLong() {
    long v = readVarLong();
    return (v >>> 1) ^ -(v & 1);
  }

  double readDouble() {
    need(8, "a double");
    long bits = 0;
    for (int i = 0; i < 8; i++) {
      bits = (bits << 8) | (bytes[pos++] & 0xFF);
    }
    return Double.longBitsToDouble(bits);
  }

  /** A nullable string. Invalid UTF-8 decodes to replacement characters, as {@code new String} does. */
  String readString() {
    int lengthPlusOne = readVarInt();
    if (lengthPlusOne == 0) {
      return null;
    }
    int length = lengthPlusOne - 1;
    if (length < 0 || length > remaining()) {
      throw new MalformedFrameException("string of " + Integer.toUnsignedString(length) + " bytes at offset " + pos
          + " but only " + remaining() + " remain");
    }
    String s = new String(bytes, pos, length, StandardCharsets.UTF_8);
    pos += length;
    return s;
  }

  /** A list's element count, bounded by what the remaining bytes can hold at {@code minElementBytes} each. */
  int readCount(int minElementBytes, String what) {
    int count = readVarInt();
    if (count < 0 || (long) count * minElementBytes > remaining()) {
      throw new MalformedFrameException(what + " count " + Integer.toUnsignedString(count) + " at offset " + pos
          + " cannot fit in the " + remaining() + " bytes that remain");
    }
    return count;
  }

  void expectEnd(String frameType) {
    if (pos != limit) {
      throw new MalformedFrameException(frameType + " frame has " + (limit - pos) + " trailing bytes");
    }
  }

  private void need(int n, String what) {
    if (limit - pos < n) {
      throw new MalformedFrameException("truncated frame: expected " + what + " at offset " + pos + " of " + limit);
    }
  }
}
