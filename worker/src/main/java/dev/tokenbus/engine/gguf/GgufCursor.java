package dev.tokenbus.engine.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.file.Path;

/**
 * Reads little-endian GGUF primitives from a mapped file, checking every length against the end of the file first,
 * so that a corrupt length becomes a {@link GgufFormatException} instead of a huge allocation.
 */
final class GgufCursor {
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final Path file;
  private final MemorySegment bytes;
  private final long size;
  private long position;
  /** Where the cursor is, for messages: "the header", "key-value pair #3 ('llama.block_count')". */
  private String context = "the header";

  GgufCursor(Path file, MemorySegment bytes) {
    this.file = file;
    this.bytes = bytes;
    this.size = bytes.byteSize();
  }

  void within(String context) {
    this.context = context;
  }

  String context() {
    return context;
  }

  long position() {
    return position;
  }

  long size() {
    return size;
  }

  long remaining() {
    return size - position;
  }

  int u8() throws GgufFormatException {
    need(1);
    return Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, position++));
  }

  int u16() throws GgufFormatException {
    need(2);
    int value = Short.toUnsignedInt(bytes.get(SHORT, position));
    position += 2;
    return value;
  }

  /** A u32 or i32, as Java's (signed) int. */
  int u32() throws GgufFormatException {
    need(4);
    int value = bytes.get(INT, position);
    position += 4;
    return value;
  }

  /** A u64 or i64, as Java's (signed) long: u64 values of 2^63 and more come back negative. */
  long u64() throws GgufFormatException {
    need(8);
    long value = bytes.get(LONG, position);
    position += 8;
    return value;
  }

  void skip(long count) throws GgufFormatException {
    need(count);
    position += count;
  }

  /**
   * Reads a string's u64 length and checks that its bytes are in the file; leaves the cursor on the first byte.
   * {@code what} names the string in messages.
   */
  long stringLength(String what) throws GgufFormatException {
    long at = position;
    long length = u64();
    checkFits(length, 1, what, at);
    return length;
  }

  /** Reads a string; {@code charset} ISO-8859-1 keeps the exact bytes (one char per byte). */
  String string(String what, Charset charset, int maxBytes) throws GgufFormatException {
    long at = position;
    long length = stringLength(what);
    if (length > maxBytes) {
      throw error(what + " at byte " + at + " is " + length + " bytes long; at most " + maxBytes
          + " are supported (in " + context + ")");
    }
    return decode(length, charset);
  }

  /** Decodes {@code length} bytes whose bounds the caller has checked. */
  String decode(long length, Charset charset) {
    byte[] data = bytes.asSlice(position, length).toArray(ValueLayout.JAVA_BYTE);
    position += length;
    return new String(data, charset);
  }

  void skipString(String what) throws GgufFormatException {
    skip(stringLength(what));
  }

  /**
   * Checks that {@code count} items of at least {@code minItemBytes} each can still be in the file, telling a length
   * larger than the whole file (corrupt) from one that merely runs past its end (truncated).
   */
  void checkFits(long count, int minItemBytes, String what, long at) throws GgufFormatException {
    // Negative = a u64 of 2^63 or more.
    if (count < 0 || count > size / minItemBytes) {
      throw error("corrupt length: " + what + " at byte " + at + " claims " + Long.toUnsignedString(count)
          + (minItemBytes == 1 ? " bytes" : " entries") + ", more than the whole file (" + size
          + " bytes) can hold (in " + context + ")");
    }
    if (count > remaining() / minItemBytes) {
      throw error("truncated in " + context + ": " + what + " at byte " + at + " needs "
          + (minItemBytes == 1 ? count + " bytes" : "at least " + count * minItemBytes + " bytes")
          + " but the file ends at byte " + size);
    }
  }

  GgufFormatException error(String problem) {
    return new GgufFormatException(file, problem);
  }

  private void need(long count) throws GgufFormatException {
    if (count > remaining()) {
      throw error("truncated in " + context + ": needs " + count + " bytes at byte " + position
          + " but the file ends at byte " + size);
    }
  }
}
