package dev.tokenbus.gateway.grammar;

import dev.tokenbus.grammar.GbnfCheck;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GBNF grammar under construction (llama.cpp's grammar format): named rules, and the escaping of
 * literals and character classes. Rule names are made unique; {@code root} is the start rule.
 *
 * <p>The grammar is bounded as it grows: at most {@link #MAX_CHARS} characters of rules, and
 * repetitions ({@link #repeat}) that expand to at most {@link #MAX_REPEATED} copies in all, each
 * one at most {@link #MAX_REPEAT} times as llama.cpp writes it. Past a bound, {@link TooLarge}.
 */
final class Gbnf {

  /** The most characters of rules a grammar may have. */
  static final int MAX_CHARS = 256 * 1024;
  /**
   * llama.cpp's bound on one repetition {@code x{m,n}} ({@link GbnfCheck#LLAMA_REPETITION_THRESHOLD}):
   * a larger {@code m} is refused, a larger {@code n} taken as no maximum. {@link #repeat} writes
   * larger ones as repetitions of blocks.
   */
  static final int MAX_REPEAT = GbnfCheck.LLAMA_REPETITION_THRESHOLD;
  /** The most copies all repetitions together may expand to (llama.cpp makes a rule per optional copy). */
  static final int MAX_REPEATED = 50_000;
  private static final int BLOCK = 1000;

  private final Map<String, String> rules = new LinkedHashMap<>();
  /** Per name base: the next suffix to try, so that naming many rules alike stays linear. */
  private final Map<String, Integer> suffixes = new HashMap<>();
  private long chars;
  private long repeated;

  /** The grammar would pass one of the bounds. */
  static final class TooLarge extends RuntimeException {
    TooLarge(String message) {
      super(message, null, false, false);
    }

    /** The grammar's text would pass {@link #MAX_CHARS}. */
    static TooLarge chars() {
      return new TooLarge("its grammar would be larger than " + MAX_CHARS + " characters");
    }
  }

  /** Adds a rule named like {@code hint} (made a valid, unique name) and returns its name. */
  String add(String hint, String body) {
    String name = unique(hint);
    put(name, body);
    return name;
  }

  /** Reserves a name for a rule whose body is given later with {@link #define} (for recursion). */
  String reserve(String hint) {
    String name = unique(hint);
    rules.put(name, null);
    return name;
  }

  void define(String name, String body) {
    put(name, body);
  }

  /** Adds a rule under exactly {@code name} unless it exists: for shared primitives. */
  String shared(String name, String body) {
    if (!rules.containsKey(name)) {
      put(name, body);
    }
    return name;
  }

  private void put(String name, String body) {
    chars += name.length() + 5 + (body == null ? 0 : body.length());
    if (chars > MAX_CHARS) {
      throw TooLarge.chars();
    }
    rules.put(name, body);
  }

  /**
   * {@code item} between {@code min} and {@code max} times ({@code max} null: no maximum), as
   * llama.cpp enforces it: counts above {@link #MAX_REPEAT} become repetitions of blocks of
   * {@value #BLOCK}, which match the same texts, each in one way. {@code item} must be one
   * element: a rule name, a literal, a character class or a group. The result may be the name
   * of a rule that holds the repetition.
   */
  String repeat(String item, int min, Integer max) {
    if (min < 0 || max != null && max < min) {
      throw new IllegalArgumentException("repetition {" + min + "," + max + "}");
    }
    String expression = expand(item, min, max);
    // llama.cpp counts the rules made inside a group against any repetition of that group (at most
    // MAX_REPEAT in all): the rules for the optional copies, named, count as one.
    return max != null && max - min > 1 ? add("repeat", expression) : expression;
  }

  private String expand(String item, int min, Integer max) {
    if (max == null) {
      return min == 0 ? times(item, 0, null) : min == 1 ? times(item, 1, null)
          : exactly(item, min) + " " + times(item, 0, null);
    }
    if (max <= MAX_REPEAT) {
      return times(item, min, max);
    }
    String fixed = min == 0 ? "" : exactly(item, min) + " ";
    int spread = max - min;
    if (spread <= MAX_REPEAT) {
      return fixed + times(item, 0, spread);
    }
    // 0..spread = (blocks 0..q-1, then 0..BLOCK-1 more) | (q blocks, then 0..r more): each count once.
    int q = spread / BLOCK;
    int r = spread % BLOCK;
    return fixed + "(" + times(block(item), 0, q - 1) + " " + times(item, 0, BLOCK - 1) + " | "
        + times(block(item), q, q) + " " + times(item, 0, r) + ")";
  }

  /** {@code item} exactly {@code n} times (blocks above {@link #MAX_REPEAT}). */
  private String exactly(String item, int n) {
    if (n <= MAX_REPEAT) {
      return times(item, n, n);
    }
    String blocks = times(block(item), n / BLOCK, n / BLOCK);
    return n % BLOCK == 0 ? blocks : blocks + " " + times(item, n % BLOCK, n % BLOCK);
  }

  private String block(String item) {
    return "(" + times(item, BLOCK, BLOCK) + ")";
  }

  /**
   * One repetition as llama.cpp reads it ({@code max} at most {@link #MAX_REPEAT}), counting what
   * it expands to: the item copied {@code min} times and a rule for each optional copy.
   */
  private String times(String item, int min, Integer max) {
    if (max != null && max == 0) {
      return "\"\"";
    }
    repeated += max == null ? Math.max(min, 1) : Math.max(max, 1);
    if (repeated > MAX_REPEATED) {
      throw new TooLarge("its repetitions (lengths, item counts, quantifiers) would expand to more than "
          + MAX_REPEATED + " copies in all");
    }
    if (max == null) {
      return item + (min == 0 ? "*" : min == 1 ? "+" : "{" + min + ",}");
    }
    if (min == 0 && max == 1) {
      return item + "?";
    }
    return item + (min == max ? "{" + min + "}" : "{" + min + "," + max + "}");
  }

  boolean has(String name) {
    return rules.containsKey(name);
  }

  private String unique(String hint) {
    String base = hint.replaceAll("[^a-zA-Z0-9-]+", "-").replaceAll("^-+|-+$", "").toLowerCase();
    if (base.isEmpty()) {
      base = "r";
    }
    String name = base;
    int i = suffixes.getOrDefault(base, 2);
    while (rules.containsKey(name)) {
      name = base + "-" + i++;
    }
    suffixes.put(base, i);
    return name;
  }

  /** The grammar text, {@code root} first. */
  String render() {
    StringBuilder out = new StringBuilder();
    String root = rules.get("root");
    if (root != null) {
      out.append("root ::= ").append(root).append('\n');
    }
    for (Map.Entry<String, String> e : rules.entrySet()) {
      if (!e.getKey().equals("root")) {
        if (e.getValue() == null) {
          throw new IllegalStateException("rule " + e.getKey() + " was reserved but never defined");
        }
        out.append(e.getKey()).append(" ::= ").append(e.getValue()).append('\n');
      }
    }
    return out.toString();
  }

  /** A GBNF string literal matching exactly {@code text}. */
  static String literal(String text) {
    StringBuilder b = new StringBuilder("\"");
    text.codePoints().forEach(c -> {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7F) {
            b.append("\\x").append(hex(c, 2));
          } else {
            b.appendCodePoint(c);
          }
        }
      }
    });
    return b.append('"').toString();
  }

  /** One code point inside a character class: letters and digits as they are, anything else escaped. */
  static String classChar(int c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return String.valueOf((char) c);
    }
    if (c <= 0xFF) {
      return "\\x" + hex(c, 2);
    }
    if (c <= 0xFFFF) {
      return "\\u" + hex(c, 4);
    }
    return "\\U" + hex(c, 8);
  }

  /** {@code value} in upper-case hexadecimal, zero-padded to {@code digits} (String.format is slow here). */
  static String hex(int value, int digits) {
    String h = Integer.toHexString(value).toUpperCase(java.util.Locale.ROOT);
    return "0".repeat(Math.max(0, digits - h.length())) + h;
  }
}
