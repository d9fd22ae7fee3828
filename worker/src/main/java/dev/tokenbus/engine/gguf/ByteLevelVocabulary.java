package dev.tokenbus.engine.gguf;

import java.util.ArrayList;
import java.util.List;

/**
 * A byte-level BPE vocabulary as GPT-2, Llama 3, Qwen and Gemma files write it with
 * {@code tokenizer.ggml.model = "gpt2"}: one token per byte (spelled through GPT-2's byte-to-unicode
 * map), a few merges (llama.cpp refuses a BPE vocabulary without any), and the control tokens of the
 * ChatML and Gemma chat templates. Any UTF-8 text tokenizes, and every token's text is plain bytes.
 */
public final class ByteLevelVocabulary {

  /** Merges ("left right"); their results are tokens too. */
  static final List<String> MERGES = List.of("\u0120 t", "h e", "\u0120t he");
  /** Control tokens, in id order after the bytes and merges. */
  public static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<bos>",
      "<eos>", "<start_of_turn>", "<end_of_turn>");
  static final int TYPE_NORMAL = 1, TYPE_CONTROL = 3;

  private final List<String> tokens = new ArrayList<>();
  private final List<Integer> types = new ArrayList<>();

  public ByteLevelVocabulary() {
    for (int b = 0; b < 256; b++) {
      tokens.add(byteToken(b));
      types.add(TYPE_NORMAL);
    }
    for (String merge : MERGES) {
      tokens.add(merge.replace(" ", ""));
      types.add(TYPE_NORMAL);
    }
    for (String special : SPECIALS) {
      tokens.add(special);
      types.add(TYPE_CONTROL);
    }
  }

  /**
   * GPT-2's byte-to-unicode map: printable Latin-1 bytes stand for themselves, the others (controls,
   * space, a few more) for code points from U+0100 up, in byte order. A space is {@code Ġ} (U+0120).
   */
  public static String byteToken(int b) {
    if (b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF) {
      return Character.toString(b);
    }
    int n = 0;
    for (int c = 0; c < b; c++) {
      if (!(c >= '!' && c <= '~' || c >= 0xA1 && c <= 0xAC || c >= 0xAE && c <= 0xFF)) {
        n++;
      }
    }
    return Character.toString(256 + n);
  }

  public int size() {
    return tokens.size();
  }

  public List<String> tokens() {
    return List.copyOf(tokens);
  }

  public int[] types() {
    return types.stream().mapToInt(Integer::intValue).toArray();
  }

  public List<String> merges() {
    return MERGES;
  }

  /** The id of a control token of {@link #SPECIALS}. */
  public int special(String text) {
    int i = SPECIALS.indexOf(text);
    if (i < 0) {
      throw new IllegalArgumentException("not a control token: " + text);
    }
    return 256 + MERGES.size() + i;
  }
}
