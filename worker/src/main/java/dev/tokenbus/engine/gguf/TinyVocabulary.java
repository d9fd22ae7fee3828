package dev.tokenbus.engine.gguf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The SentencePiece (SPM, byte fallback) vocabulary of {@link TinyLlamaModel}: {@code <unk>}, {@code <s>}, {@code </s>},
 * the 256 byte tokens, then {@value #NORMAL_PIECES} normal pieces: "▁" and every prefix of a few common lowercase words.
 *
 * <p>llama.cpp's SPM tokenizer only merges two adjacent symbols into a piece that is in the vocabulary, so each word
 * needs all of its prefixes ("▁h", "▁he", "▁hel", ...). "▁" itself must be there, or spaces fall back to bytes E2 96 81.
 */
public final class TinyVocabulary {
  /** SentencePiece's space marker, U+2581. */
  public static final String SPACE = "\u2581";

  public static final int UNKNOWN = 0;
  public static final int BOS = 1;
  public static final int EOS = 2;
  /** Id of byte token {@code <0x00>}; byte b has id {@code FIRST_BYTE + b}. */
  public static final int FIRST_BYTE = 3;
  public static final int FIRST_NORMAL = FIRST_BYTE + 256;
  public static final int NORMAL_PIECES = 96;
  public static final int SIZE = FIRST_NORMAL + NORMAL_PIECES;

  /** llama.cpp token types (tokenizer.ggml.token_type). */
  public static final int TYPE_NORMAL = 1, TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_BYTE = 6;

  /** All lowercase: "Hello" must stay one token per letter, which token-count tests rely on. */
  private static final List<String> WORDS = List.of(
      "hello", "world", "the", "this", "that", "there", "then", "they", "we", "what", "when", "with", "was",
      "will", "to", "time", "of", "on", "one", "once", "and", "as", "at", "a", "an", "be", "by", "but", "for",
      "from", "in", "is", "it", "you", "he", "his", "her", "she", "not", "so", "up", "all", "each", "story",
      "day", "said");

  private static final TinyVocabulary STANDARD = new TinyVocabulary();

  private final List<String> tokens;
  private final float[] scores;
  private final int[] types;
  private final Map<String, Integer> ids = new HashMap<>();

  private TinyVocabulary() {
    List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
    for (int b = 0; b < 256; b++) {
      pieces.add(byteToken(b));
    }
    pieces.add(SPACE);
    for (String word : WORDS) {
      for (int end = 1; end <= word.length(); end++) {
        String piece = SPACE + word.substring(0, end);
        if (!pieces.contains(piece)) {
          pieces.add(piece);
        }
      }
    }
    if (pieces.size() != SIZE) {
      throw new IllegalStateException("vocabulary has " + pieces.size() + " tokens, expected " + SIZE);
    }
    tokens = List.copyOf(pieces);
    scores = new float[SIZE];
    types = new int[SIZE];
    for (int id = 0; id < SIZE; id++) {
      ids.put(tokens.get(id), id);
      types[id] = id == UNKNOWN ? TYPE_UNKNOWN : id < FIRST_BYTE ? TYPE_CONTROL : id < FIRST_NORMAL ? TYPE_BYTE : TYPE_NORMAL;
      // Scores only order competing merges; earlier (shorter, more common) pieces win ties.
      scores[id] = id < FIRST_NORMAL ? 0f : -(id - FIRST_NORMAL);
    }
  }

  public static TinyVocabulary standard() {
    return STANDARD;
  }

  /** The SPM name of a byte token, uppercase hex as llama.cpp looks it up: {@code <0x0A>}. */
  public static String byteToken(int b) {
    return String.format(Locale.ROOT, "<0x%02X>", b);
  }

  /** Id of the byte token for {@code b} (0..255). */
  public static int byteTokenId(int b) {
    if (b < 0 || b > 255) {
      throw new IllegalArgumentException("not a byte: " + b);
    }
    return FIRST_BYTE + b;
  }

  public int size() {
    return SIZE;
  }

  public List<String> tokens() {
    return tokens;
  }

  public float[] scores() {
    return scores.clone();
  }

  public int[] types() {
    return types.clone();
  }

  /** Id of a piece, e.g. {@code idOf("▁hello")}, or -1 when it is not in the vocabulary. */
  public int idOf(String piece) {
    return ids.getOrDefault(piece, -1);
  }

  /**
   * Tokens the model never emits: {@code <unk>}, {@code <s>}, {@code </s>} and the byte tokens outside printable
   * ASCII 0x20-0x7E, so sampled text is always printable ASCII (valid UTF-8) and never ends by itself.
   */
  public boolean isSuppressed(int id) {
    if (id < FIRST_BYTE) {
      return true;
    }
    if (id < FIRST_NORMAL) {
      int b = id - FIRST_BYTE;
      return b < 0x20 || b > 0x7E;
    }
    return false;
  }
}
