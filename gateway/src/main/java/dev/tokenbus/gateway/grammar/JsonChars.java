package dev.tokenbus.gateway.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * GBNF for one character of a JSON string's content, drawn from a set of code points: the
 * characters JSON lets appear as they are, and the escape sequences of the others ({@code \"},
 * {@code \\}, {@code \n}, {@code \u0001} ...).
 */
final class JsonChars {

  /** What may stand unescaped inside a JSON string. */
  private static final CodePointSet RAW = CodePointSet.of(0x20, CodePointSet.MAX)
      .minus(CodePointSet.of('"')).minus(CodePointSet.of('\\')).minus(CodePointSet.of(0x7F));

  private static final CodePointSet NOT_RAW = RAW.complement();

  static final CodePointSet ANY = CodePointSet.of(0, CodePointSet.MAX);

  private JsonChars() {}

  /** One JSON string character (raw or escaped) whose decoded value is in {@code set}; null if none. */
  static String of(CodePointSet set) {
    List<String> alternatives = new ArrayList<>();
    CodePointSet raw = set.minus(NOT_RAW);
    if (!raw.isEmpty()) {
      alternatives.add(raw.toGbnf());
    }
    if (set.contains(0x7F)) {
      alternatives.add(Gbnf.literal("\\u007f"));
    }
    addEscape(alternatives, set, '"', "\\\"");
    addEscape(alternatives, set, '\\', "\\\\");
    addEscape(alternatives, set, '\n', "\\n");
    addEscape(alternatives, set, '\r', "\\r");
    addEscape(alternatives, set, '\t', "\\t");
    addEscape(alternatives, set, '\b', "\\b");
    addEscape(alternatives, set, '\f', "\\f");
    for (int c = 0; c < 0x20; c++) {
      if (set.contains(c) && "\n\r\t\b\f".indexOf(c) < 0) {
        alternatives.add(Gbnf.literal("\\u" + Gbnf.hex(c, 4).toLowerCase(java.util.Locale.ROOT)));
      }
    }
    if (alternatives.isEmpty()) {
      return null;
    }
    return alternatives.size() == 1 ? alternatives.get(0) : "(" + String.join(" | ", alternatives) + ")";
  }

  private static void addEscape(List<String> out, CodePointSet set, char c, String escape) {
    if (set.contains(c)) {
      out.add(Gbnf.literal(escape));
    }
  }
}
