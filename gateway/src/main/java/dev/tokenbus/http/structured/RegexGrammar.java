package dev.tokenbus.http.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * Converts a JSON Schema {@code pattern} (an ECMA-262 regular expression) into GBNF for the content
 * of a JSON string: characters, classes ({@code [a-z]}, {@code \d}, {@code \w}, {@code \s} and their
 * negations, {@code .}), groups, alternation and the quantifiers {@code * + ? {n} {n,} {n,m}} (lazy
 * forms too). A pattern not anchored with {@code ^}/{@code $} may have any text before/after, as
 * JSON Schema says. Back-references, look-around and word boundaries cannot be expressed in a
 * grammar: they are refused with {@link UnsupportedSchemaException}.
 */
final class RegexGrammar {

  private static final CodePointSet DIGIT = CodePointSet.of('0', '9');
  private static final CodePointSet WORD = CodePointSet.of('a', 'z').union(CodePointSet.of('A', 'Z')).union(DIGIT)
      .union(CodePointSet.of('_'));
  private static final CodePointSet SPACE = CodePointSet.of(' ').union(CodePointSet.of('\t', '\r'))
      .union(CodePointSet.of(0xA0)).union(CodePointSet.of(0xFEFF)).union(CodePointSet.of(0x2028, 0x2029))
      .union(CodePointSet.of(0x2000, 0x200A)).union(CodePointSet.of(0x1680)).union(CodePointSet.of(0x202F))
      .union(CodePointSet.of(0x205F)).union(CodePointSet.of(0x3000));
  private static final CodePointSet DOT = CodePointSet.of('\n').union(CodePointSet.of('\r'))
      .union(CodePointSet.of(0x2028, 0x2029)).complement();

  private final String pattern;
  private final String path;
  private int pos;

  private RegexGrammar(String pattern, String path) {
    this.pattern = pattern;
    this.path = path;
  }

  /** A GBNF expression for the string contents that {@code pattern} matches (searching, as JSON Schema does). */
  static String convert(String pattern, String path) {
    return new RegexGrammar(pattern, path).convert();
  }

  private String convert() {
    boolean anchoredStart = pattern.startsWith("^");
    if (anchoredStart) {
      pos = 1;
    }
    String body = alternation(true);
    boolean anchoredEnd = false;
    if (pos < pattern.length() && pattern.charAt(pos) == '$') {
      anchoredEnd = true;
      pos++;
    }
    if (pos != pattern.length()) {
      throw unsupported("'" + pattern.charAt(pos) + "' at position " + pos);
    }
    String any = "(" + JsonChars.of(JsonChars.ANY) + ")*";
    return (anchoredStart ? "" : any + " ") + "(" + body + ")" + (anchoredEnd ? "" : " " + any);
  }

  private String alternation(boolean top) {
    List<String> alternatives = new ArrayList<>();
    alternatives.add(sequence(top));
    while (pos < pattern.length() && pattern.charAt(pos) == '|') {
      pos++;
      alternatives.add(sequence(top));
    }
    return alternatives.size() == 1 ? alternatives.get(0) : String.join(" | ", alternatives);
  }

  private String sequence(boolean top) {
    List<String> items = new ArrayList<>();
    while (pos < pattern.length()) {
      char c = pattern.charAt(pos);
      if (c == '|' || c == ')') {
        break;
      }
      if (c == '$') {
        if (top && pos == pattern.length() - 1) {
          break;
        }
        throw unsupported("'$' before the end of the pattern");
      }
      if (c == '^') {
        throw unsupported("'^' after the start of the pattern");
      }
      String atom = atom();
      items.add(quantified(atom));
    }
    return items.isEmpty() ? "\"\"" : String.join(" ", items);
  }

  private String quantified(String atom) {
    if (pos >= pattern.length()) {
      return atom;
    }
    char c = pattern.charAt(pos);
    String q;
    if (c == '*' || c == '+' || c == '?') {
      pos++;
      q = String.valueOf(c);
    } else if (c == '{' && isRepeat()) {
      int close = pattern.indexOf('}', pos);
      q = pattern.substring(pos, close + 1);
      String[] parts = q.substring(1, q.length() - 1).split(",", -1);
      if (parts.length == 2 && !parts[1].isEmpty() && Integer.parseInt(parts[1]) < Integer.parseInt(parts[0])) {
        throw unsupported("the repetition " + q + " (maximum below minimum)");
      }
      pos = close + 1;
    } else {
      return atom;
    }
    if (pos < pattern.length() && pattern.charAt(pos) == '?') {
      pos++; // lazy: the same set of strings
    }
    return "(" + atom + ")" + q;
  }

  private boolean isRepeat() {
    int close = pattern.indexOf('}', pos);
    return close > 0 && pattern.substring(pos + 1, close).matches("\\d{1,4}(,\\d{0,4})?");
  }

  private String atom() {
    char c = pattern.charAt(pos);
    switch (c) {
      case '(' -> {
        pos++;
        if (pattern.startsWith("?:", pos)) {
          pos += 2;
        } else if (pattern.startsWith("?<", pos) && !pattern.startsWith("?<=", pos) && !pattern.startsWith("?<!", pos)) {
          int close = pattern.indexOf('>', pos);
          if (close < 0) {
            throw unsupported("an unterminated group name");
          }
          pos = close + 1;
        } else if (pos < pattern.length() && pattern.charAt(pos) == '?') {
          throw unsupported("look-around groups");
        }
        String inner = alternation(false);
        if (pos >= pattern.length() || pattern.charAt(pos) != ')') {
          throw unsupported("an unclosed group");
        }
        pos++;
        return "(" + inner + ")";
      }
      case '[' -> {
        return chars(characterClass());
      }
      case '.' -> {
        pos++;
        return chars(DOT);
      }
      case '\\' -> {
        return chars(escape(false));
      }
      case '*', '+', '?', '{' -> {
        if (c == '{' && !isRepeat()) {
          pos++;
          return Gbnf.literal("{");
        }
        throw unsupported("a quantifier with nothing to repeat at position " + pos);
      }
      default -> {
        int cp = pattern.codePointAt(pos);
        pos += Character.charCount(cp);
        return chars(CodePointSet.of(cp));
      }
    }
  }

  private String chars(CodePointSet set) {
    String g = JsonChars.of(set);
    if (g == null) {
      throw unsupported("a character class that matches nothing");
    }
    return g;
  }

  private CodePointSet characterClass() {
    pos++; // [
    boolean negated = pos < pattern.length() && pattern.charAt(pos) == '^';
    if (negated) {
      pos++;
    }
    CodePointSet set = CodePointSet.EMPTY;
    while (pos < pattern.length() && pattern.charAt(pos) != ']') {
      CodePointSet from = classAtom();
      int lo = single;
      if (lo >= 0 && pos + 1 < pattern.length() && pattern.charAt(pos) == '-' && pattern.charAt(pos + 1) != ']') {
        pos++;
        classAtom();
        int hi = single;
        if (hi < lo) {
          throw unsupported("the class range ending at position " + pos);
        }
        set = set.union(CodePointSet.of(lo, hi));
      } else {
        set = set.union(from);
      }
    }
    if (pos >= pattern.length()) {
      throw unsupported("an unterminated character class");
    }
    pos++; // ]
    return negated ? set.complement() : set;
  }

  /** The code point the last class atom or escape stood for, or -1 when it was a set ({@code \d} ...). */
  private int single = -1;

  private CodePointSet classAtom() {
    if (pattern.charAt(pos) == '\\') {
      return escape(true);
    }
    int cp = pattern.codePointAt(pos);
    pos += Character.charCount(cp);
    single = cp;
    return CodePointSet.of(cp);
  }

  private CodePointSet escape(boolean inClass) {
    pos++; // backslash
    if (pos >= pattern.length()) {
      throw unsupported("a trailing backslash");
    }
    char e = pattern.charAt(pos++);
    single = -1;
    CodePointSet set = switch (e) {
      case 'd' -> DIGIT;
      case 'D' -> DIGIT.complement();
      case 'w' -> WORD;
      case 'W' -> WORD.complement();
      case 's' -> SPACE.union(CodePointSet.of('\n')).union(CodePointSet.of(0x0B, 0x0C));
      case 'S' -> SPACE.union(CodePointSet.of('\n')).union(CodePointSet.of(0x0B, 0x0C)).complement();
      case 't' -> CodePointSet.of('\t');
      case 'n' -> CodePointSet.of('\n');
      case 'r' -> CodePointSet.of('\r');
      case 'f' -> CodePointSet.of('\f');
      case 'v' -> CodePointSet.of(0x0B);
      case '0' -> CodePointSet.of(0);
      case 'x' -> CodePointSet.of(hex(2));
      case 'u' -> CodePointSet.of(hex(4));
      case 'b' -> {
        if (inClass) {
          yield CodePointSet.of('\b');
        }
        throw unsupported("word boundaries (\\b)");
      }
      default -> {
        if (Character.isDigit(e)) {
          throw unsupported("back-references (\\" + e + ")");
        }
        if (Character.isLetter(e)) {
          throw unsupported("the escape \\" + e);
        }
        yield CodePointSet.of(e);
      }
    };
    if (!"dDwWsS".contains(String.valueOf(e))) {
      single = firstOf(set);
    }
    return set;
  }

  private static int firstOf(CodePointSet s) {
    return s.first();
  }

  private int hex(int digits) {
    if (pos + digits > pattern.length()) {
      throw unsupported("a short hexadecimal escape");
    }
    try {
      int v = Integer.parseInt(pattern.substring(pos, pos + digits), 16);
      pos += digits;
      return v;
    } catch (NumberFormatException ex) {
      throw unsupported("the escape at position " + pos);
    }
  }

  private UnsupportedSchemaException unsupported(String what) {
    return new UnsupportedSchemaException(path, "pattern " + quote(pattern) + " uses " + what
        + ", which cannot be turned into a grammar");
  }

  private static String quote(String s) {
    return "'" + s + "'";
  }
}
