package dev.tokenbus.protocol.frame;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Appends primitives to a growable byte array. Integers are LEB128 varints (small values, the
 * common case for indices, counts and credits, take one byte); strings are UTF-8 behind a varint
 * of their length plus one, so that 0 can stand for null.
 */
final class WireWriter {

  private byte[] bytes;
  private int size;

  WireWriter(int initialCapacity) {
    bytes = new byte[Math.max(16, initialCapacity)];
  }

  byte[] array() {
    return bytes;
  }

  int size() {
    return size;
  }

  /** Forgets what was written, keeping the array. */
  void reset() {
    size = 0;
  }

  /** {@code other}'s bytes behind a varint of their count. */
  void writeSized(WireWriter other) {
    writeVarInt(other.size);
    ensure(other.size);
    System.arraycopy(other.bytes, 0, bytes, size, other.size);
    size += other.size;
  }

  void writeByte(int b) {
    ensure(1);
    bytes[size++] = (byte) b;
  }

  void writeBoolean(boolean b) {
    writeByte(b ? 1 : 0);
  }

  /** Any int; negative values take five bytes, so use {@link #writeSignedVarInt} where they are common. */
  void writeVarInt(int v) {
    ensure(5);
    while ((v & ~0x7F) != 0) {
      bytes[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    bytes[size++] = (byte) v;
  }

  /** Zigzag first, so that -1 takes one byte. */
  void writeSignedVarInt(int v) {
    writeVarInt((v << 1) ^ (v >> 31));
  }

  void writeVarLong(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      bytes[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    bytes[size++] = (byte) v;
  }

  void writeSignedVarLong(long v) {
    writeVarLong((v << 1) ^ (v >> 63));
  }

  void writeDouble(double d) {
    long bits = Double.doubleToRawLongBits(d);
    ensure(8);
    for (int shift = 56; shift >= 0; shift -= 8) {
      bytes[size++] = (byte) (bits >>> shift);
    }
  }

  /** A nullable string. */
  void writeString(String s) {
    if (s == null) {
      writeVarInt(0);
      return;
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    writeVarInt(utf8.length + 1);
    ensure(utf8.length);
    System.arraycopy(utf8, 0, bytes, size, utf8.length);
    size += utf8.length;
  }

  private void ensure(int more) {
    if (size + more > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
    }
  }
}
