package dev.tokenbus.engine.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks a GGUF file in Java before it goes to llama.cpp, whose loader aborts the whole process (the JVM with it) on
 * some corrupt files instead of returning an error (those {@link MetadataChecks} lists).
 *
 * <p>Only the header, the metadata and the tensor infos are read, through a memory mapping; tensor data is never
 * touched, so a multi-GB model validates in milliseconds. Problems llama.cpp reports politely (a missing key or
 * tensor, a wrong key type) are mostly left to it.
 */
public final class GgufValidator {
  private GgufValidator() {
  }

  /**
   * Validates {@code file} and describes it.
   *
   * @throws GgufFormatException when the file is missing, unreadable or not a GGUF file llama.cpp can safely load;
   *                             its message starts with the path and names the problem
   * @throws IOException         when reading fails
   */
  public static GgufInfo validate(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new GgufFormatException(file, "no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw new GgufFormatException(file, "not a regular file");
    }
    if (!Files.isReadable(file)) {
      throw new GgufFormatException(file, "not readable");
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
       Arena arena = Arena.ofConfined()) {
      MemorySegment bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
      GgufCursor cursor = new GgufCursor(file, bytes);
      GgufStructure gguf = GgufStructureReader.read(cursor);
      int alignment = MetadataChecks.check(gguf, cursor);
      TensorLayoutCheck.check(gguf, alignment, cursor);
      return describe(gguf, cursor);
    }
  }

  private static GgufInfo describe(GgufStructure gguf, GgufCursor cursor) throws GgufFormatException {
    String arch = gguf.string(MetadataChecks.ARCHITECTURE);
    MetadataEntry tokens = gguf.entry(GgufStructureReader.TOKENS);
    return new GgufInfo(
        gguf.version(),
        arch,
        gguf.string("general.name"),
        intValue(gguf, arch + ".context_length", cursor),
        intValue(gguf, arch + ".block_count", cursor),
        intValue(gguf, arch + ".embedding_length", cursor),
        tokens == null ? 0 : Math.toIntExact(tokens.count()),
        gguf.string("tokenizer.chat_template"),
        gguf.tensors().size(),
        cursor.size());
  }

  /** An integer key as an int; 0 when absent or not an integer (llama.cpp reports the wrong type itself). */
  private static int intValue(GgufStructure gguf, String key, GgufCursor cursor) throws GgufFormatException {
    MetadataEntry entry = gguf.entry(key);
    Long value = entry == null ? null : entry.integer();
    if (value == null) {
      return 0;
    }
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw cursor.error("'" + key + "' is " + value + ", out of range");
    }
    return value.intValue();
  }
}
