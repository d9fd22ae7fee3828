package dev.tokenbus.engine;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulated engine's tokens: ids 0 to 255 are single bytes, then BOS and EOS (no text), then
 * {@link #WORDS} made-up words, each a space and one or two syllables (" ba", " kelo"). Text
 * tokenizes to the words it contains, where a space is followed by exactly the letters of one, and
 * to bytes elsewhere; so {@code detokenize(tokenize(t))} is {@code t} for any text, and the text the
 * engine writes tokenizes back to the tokens it wrote. Immutable, thread-safe.
 */
final class SimulatedVocabulary {

  static final int BOS = 256;
  static final int EOS = 257;
  static final int FIRST_WORD = 258;
  static final int WORDS = 4096;
  static final int SIZE = FIRST_WORD + WORDS;
  /** The longest piece, in bytes: a space and two syllables of two letters. */
  static final int MAX_PIECE_BYTES = 5;

  private static final String CONSONANTS = "bdfghklmnprstvz";
  private static final String VOWELS = "aeiou";
  private static final byte[] NONE = new byte[0];

  private final byte[][] pieces = new byte[SIZE][];
  private final Map<String, Integer> words = new HashMap<>();

  SimulatedVocabulary() {
    for (int b = 0; b < 256; b++) {
      pieces[b] = new byte[] {(byte) b};
    }
    pieces[BOS] = NONE;
    pieces[EOS] = NONE;
    List<String> syllables = new ArrayList<>();
    for (char c : CONSONANTS.toCharArray()) {
      for (char v : VOWELS.toCharArray()) {
        syllables.add("" + c + v);
      }
    }
    int id = FIRST_WORD;
    for (int i = 0; id < SIZE; i++) {
      String word = i < syllables.size() ? syllables.get(i)
          : syllables.get((i - syllables.size()) / syllables.size()) + syllables.get(i % syllables.size());
      pieces[id] = (" " + word).getBytes(StandardCharsets.US_ASCII);
      words.put(word, id);
      id++;
    }
  }

  int size() {
    return SIZE;
  }

  /** The token's text bytes (empty for BOS and EOS). The caller checks the id. */
  byte[] piece(int token) {
    return pieces[token];
  }

  /** Word {@code k} (0 to {@link #WORDS} - 1) as a token id. */
  static int word(int k) {
    return FIRST_WORD + k;
  }

  /** {@code text} as tokens, after BOS when {@code addBos}. */
  int[] tokenize(String text, boolean addBos) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] out = new int[bytes.length + 1];
    int n = 0;
    if (addBos) {
      out[n++] = BOS;
    }
    int i = 0;
    while (i < bytes.length) {
      if (bytes[i] == ' ') {
        int end = i + 1;
        while (end < bytes.length && end - i <= MAX_PIECE_BYTES && isLetter(bytes[end])) {
          end++;
        }
        boolean wordEnds = end == bytes.length || !isLetter(bytes[end]);
        Integer word = wordEnds && end > i + 1
            ? words.get(new String(bytes, i + 1, end - i - 1, StandardCharsets.US_ASCII)) : null;
        if (word != null) {
          out[n++] = word;
          i = end;
          continue;
        }
      }
      out[n++] = bytes[i++] & 0xff;
    }
    return java.util.Arrays.copyOf(out, n);
  }

  /** The text of {@code tokens}; the caller checks the ids. */
  String detokenize(int[] tokens) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int t : tokens) {
      out.writeBytes(pieces[t]);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static boolean isLetter(byte b) {
    return b >= 'a' && b <= 'z';
  }
}
