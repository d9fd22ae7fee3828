package dev.tokenbus.engine.gguf;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The metadata that makes llama.cpp (b4916) abort or read out of bounds instead of failing politely (checked
 * through its C API: SIGABRT or SIGSEGV, or silently reading garbage): a {@code general.alignment} that is not a
 * u32, a vocabulary that is not a non-empty string array without duplicates holding all 256 {@code <0xNN>} byte
 * tokens, scores or token types of the wrong type or length, zero blocks.
 */
final class MetadataChecks {
  static final String ALIGNMENT = "general.alignment";
  static final String ARCHITECTURE = "general.architecture";
  static final String TOKENIZER_MODEL = "tokenizer.ggml.model";
  static final String SCORES = "tokenizer.ggml.scores";
  static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
  /** tokenizer.ggml.model of SentencePiece vocabularies, which fall back to {@code <0xNN>} tokens for any byte. */
  static final String SPM = "llama";

  private final GgufStructure gguf;
  private final GgufCursor cursor;

  private MetadataChecks(GgufStructure gguf, GgufCursor cursor) {
    this.gguf = gguf;
    this.cursor = cursor;
  }

  /** Checks the metadata; returns the data alignment. {@code cursor} only makes the errors. */
  static int check(GgufStructure gguf, GgufCursor cursor) throws GgufFormatException {
    MetadataChecks checks = new MetadataChecks(gguf, cursor);
    cursor.within("the metadata");
    int alignment = checks.alignment();
    String architecture = checks.architecture();
    checks.vocabulary();
    checks.blockCount(architecture);
    return alignment;
  }

  private int alignment() throws GgufFormatException {
    MetadataEntry entry = gguf.entry(ALIGNMENT);
    if (entry == null) {
      return GgufWriter.ALIGNMENT;
    }
    if (entry.type() != GgufValueType.UINT32) {
      throw cursor.error("'" + ALIGNMENT + "' must be a u32, but is " + entry.describeType());
    }
    long value = (Long) entry.value();
    if (value == 0 || Long.bitCount(value) != 1) {
      throw cursor.error("'" + ALIGNMENT + "' is " + value + ", not a power of 2");
    }
    return (int) value;
  }

  private String architecture() throws GgufFormatException {
    MetadataEntry entry = gguf.entry(ARCHITECTURE);
    if (entry == null) {
      throw cursor.error("missing '" + ARCHITECTURE + "'");
    }
    if (entry.type() != GgufValueType.STRING) {
      throw cursor.error("'" + ARCHITECTURE + "' must be a string, but is " + entry.describeType());
    }
    return (String) entry.value();
  }

  private void vocabulary() throws GgufFormatException {
    MetadataEntry tokens = gguf.entry(GgufStructureReader.TOKENS);
    if (tokens != null) {
      if (!tokens.isArrayOf(GgufValueType.STRING)) {
        throw cursor.error("'" + tokens.key() + "' must be an array of strings, but is " + tokens.describeType());
      }
      if (tokens.count() == 0) {
        throw cursor.error("'" + tokens.key() + "' is an empty array: the vocabulary has no tokens");
      }
      noDuplicates(gguf.tokens());
      if (SPM.equals(gguf.string(TOKENIZER_MODEL))) {
        allByteTokens(gguf.tokens());
      }
    }
    perTokenArray(SCORES, GgufValueType.FLOAT32, tokens);
    perTokenArray(TOKEN_TYPE, GgufValueType.INT32, tokens);
  }

  /** llama.cpp asserts that every token string maps to exactly one id. */
  private void noDuplicates(List<String> tokens) throws GgufFormatException {
    Map<String, Integer> firstId = new HashMap<>(tokens.size() * 2);
    for (int id = 0; id < tokens.size(); id++) {
      Integer earlier = firstId.putIfAbsent(tokens.get(id), id);
      if (earlier != null) {
        throw cursor.error("duplicate token '" + readable(tokens.get(id)) + "' at ids " + earlier + " and " + id);
      }
    }
  }

  /** SPM tokenizing throws (and terminates the process) when text needs a byte token the vocabulary lacks. */
  private void allByteTokens(List<String> tokens) throws GgufFormatException {
    boolean[] present = new boolean[256];
    for (String token : tokens) {
      if (token.length() == 6 && token.startsWith("<0x") && token.endsWith(">")) {
        int b = hexByte(token.substring(3, 5));
        if (b >= 0) {
          present[b] = true;
        }
      }
    }
    for (int b = 0; b < 256; b++) {
      if (!present[b]) {
        throw cursor.error("the SentencePiece vocabulary lacks the byte token " + TinyVocabulary.byteToken(b)
            + " (all 256 <0xNN> tokens are needed)");
      }
    }
  }

  /** Two uppercase hex digits, as llama.cpp formats them; -1 otherwise. */
  private static int hexByte(String digits) {
    int value = 0;
    for (char c : digits.toCharArray()) {
      int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (digit < 0) {
        return -1;
      }
      value = value * 16 + digit;
    }
    return value;
  }

  /** llama.cpp indexes these by token id without checking their type or length. */
  private void perTokenArray(String key, GgufValueType elementType, MetadataEntry tokens) throws GgufFormatException {
    MetadataEntry entry = gguf.entry(key);
    if (entry == null) {
      return;
    }
    if (!entry.isArrayOf(elementType)) {
      throw cursor.error("'" + key + "' must be an array of " + elementType + ", but is " + entry.describeType());
    }
    if (tokens != null && entry.count() != tokens.count()) {
      throw cursor.error("'" + key + "' has " + entry.count() + " entries but the vocabulary has "
          + tokens.count() + " tokens");
    }
  }

  private void blockCount(String architecture) throws GgufFormatException {
    MetadataEntry entry = gguf.entry(architecture + ".block_count");
    // A wrong type is reported by llama.cpp itself; a count below 1 crashes it.
    Long count = entry == null ? null : entry.integer();
    if (count != null && count < 1) {
      throw cursor.error("'" + entry.key() + "' is " + count + "; a model needs at least 1 block");
    }
  }

  /** A token's raw bytes as text for a message. */
  private static String readable(String latin1) {
    return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }
}
