package dev.tokenbus.engine.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/** Little-endian primitives over a file channel, buffered, tracking the absolute position for offsets and padding. */
final class GgufOutput implements AutoCloseable {
  private static final int BUFFER_BYTES = 64 * 1024;

  private final FileChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private long position;

  GgufOutput(FileChannel channel) {
    this.channel = channel;
  }

  long position() {
    return position;
  }

  void u8(int value) throws IOException {
    room(1).put((byte) value);
    position += 1;
  }

  void u32(int value) throws IOException {
    room(4).putInt(value);
    position += 4;
  }

  void u64(long value) throws IOException {
    room(8).putLong(value);
    position += 8;
  }

  void f32(float value) throws IOException {
    room(4).putFloat(value);
    position += 4;
  }

  void f16(float value) throws IOException {
    room(2).putShort(Float.floatToFloat16(value));
    position += 2;
  }

  void bytes(byte[] bytes) throws IOException {
    for (int done = 0; done < bytes.length; ) {
      int chunk = Math.min(bytes.length - done, BUFFER_BYTES);
      room(chunk).put(bytes, done, chunk);
      done += chunk;
    }
    position += bytes.length;
  }

  /** A GGUF string: u64 byte length, then the UTF-8 bytes. */
  void string(String value) throws IOException {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    u64(utf8.length);
    bytes(utf8);
  }

  /** Zero bytes up to the next multiple of {@code alignment}. */
  void padTo(int alignment) throws IOException {
    while (position % alignment != 0) {
      u8(0);
    }
  }

  private ByteBuffer room(int bytes) throws IOException {
    if (buffer.remaining() < bytes) {
      flush();
    }
    return buffer;
  }

  void flush() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
  }

  @Override
  public void close() throws IOException {
    flush();
  }
}
