package dev.tokenbus.engine.gguf;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Byte-level edits of generated files, to make the corrupt variants the validator must reject. */
final class GgufPatches {
  private GgufPatches() {
  }

  static void putU32(Path file, long position, int value) throws IOException {
    write(file, position, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).flip());
  }

  static void putU64(Path file, long position, long value) throws IOException {
    write(file, position, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).flip());
  }

  static void putAscii(Path file, long position, String text) throws IOException {
    write(file, position, ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
  }

  static void truncate(Path file, long size) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(size);
    }
  }

  /** Grows the file without writing (sparse on the usual Linux file systems). */
  static void extend(Path file, long size) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
    }
  }

  /** Position of the first occurrence of {@code text}'s UTF-8 bytes, or -1. Only for small files. */
  static long indexOf(Path file, String text) throws IOException {
    byte[] haystack = Files.readAllBytes(file);
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** Position of the u32 ggml type in the info of tensor {@code name} (name, n_dims, ne[], then the type). */
  static long tensorTypePosition(Path file, String name, int dims) throws IOException {
    long nameStart = indexOf(file, name);
    if (nameStart < 0) {
      throw new IllegalArgumentException(name + " not found");
    }
    return nameStart + name.getBytes(StandardCharsets.UTF_8).length + 4 + 8L * dims;
  }

  private static void write(Path file, long position, ByteBuffer bytes) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.write(bytes, position);
    }
  }
}
