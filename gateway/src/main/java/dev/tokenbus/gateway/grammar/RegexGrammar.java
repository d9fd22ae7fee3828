package dev.tokenbus.gateway.grammar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a JSON Schema {@code pattern} (an ECMA-262 regular expression) into GBNF for the content
 * of a JSON string: characters, classes ({@code [a-z]}, {@code \d}, {@code \w}, {@code \s} and their
 * negations, {@code .}), groups, alternation and the quantifiers {@code * + ? {n} {n,} {n,m}} (lazy
 * forms too). A pattern not anchored with {@code ^}/{@code $} may have any text before/after, as
 * JSON Schema says. Back-references, look-around and word boundaries cannot be expressed in a
 * grammar: they are refused with {@link UnsupportedSchemaException}.
 *
 * <p>Bounded before any work is done: a pattern longer than {@link #MAX_LENGTH}, groups nested
 * deeper than {@link #MAX_GROUP_DEPTH} (the parser recurses once per group) and repetitions whose
 * nested counts multiply to more than {@link Gbnf#MAX_REPEAT} (such as {@code (a{50}){50}}) are
 * refused. Each group becomes a rule of its own, so the grammar's nesting stays flat.
 */
final class RegexGrammar {

  /** The longest pattern converted. */
  static final int MAX_LENGTH = 4096;
  /** The deepest nesting of groups. */
  static final int MAX_GROUP_DEPTH = 32;

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
  private final Gbnf g;
  private final String hint;
  private int pos;
  private int depth;
  /** The GBNF of the character sets met so far: a pattern repeats the same few. */
  private final Map<CodePointSet, String> charsMemo = new HashMap<>();

  /**
   * Part of the converted pattern: its GBNF (one element when it is an atom), and how many times
   * its most repeated character may be written: the product of the counts of the repetitions
   * around it (1 when none).
   */
  private record Piece(String gbnf, long copies) {}

  private RegexGrammar(String pattern, String path, Gbnf g, String hint) {
    this.pattern = pattern;
    this.path = path;
    this.g = g;
    this.hint = hint;
  }

  /**
   * A GBNF expression for the string contents that {@code pattern} matches (searching, as JSON
   * Schema does); its groups become rules of {@code g}, named after {@code hint}.
   */
  static String convert(String pattern, String path, Gbnf g, String hint) {
    if (pattern.length() > MAX_LENGTH) {
      throw new UnsupportedSchemaException(path, "pattern " + quote(pattern) + " is " + pattern.length()
          + " characters long; at most " + MAX_LENGTH + " are supported");
    }
    return new RegexGrammar(pattern, path, g, hint + "-re").convert();
  }

  private String convert() {
    boolean anchoredStart = pattern.startsWith("^");
    if (anchoredStart) {
      pos = 1;
    }
    String body = alternation(true).gbnf();
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

  private Piece alternation(boolean top) {
    List<String> alternatives = new ArrayList<>();
    Piece first = sequence(top);
    alternatives.add(first.gbnf());
    long copies = first.copies();
    while (pos < pattern.length() && pattern.charAt(pos) == '|') {
      pos++;
      Piece next = sequence(top);
      alternatives.add(next.gbnf());
      copies = Math.max(copies, next.copies());
    }
    return new Piece(String.join(" | ", alternatives), copies);
  }

  private Piece sequence(boolean top) {
    List<String> items = new ArrayList<>();
    long copies = 1;
    long length = 0;
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
      Piece item = quantified(atom());
      items.add(item.gbnf());
      length += item.gbnf().length() + 1;
      if (length > Gbnf.MAX_CHARS) { // stop now rather than build what the grammar would refuse
        throw Gbnf.TooLarge.chars();
      }
      copies = Math.max(copies, item.copies());
    }
    return new Piece(items.isEmpty() ? "\"\"" : String.join(" ", items), copies);
  }

  private Piece quantified(Piece atom) {
    if (pos >= pattern.length()) {
      return atom;
    }
    int at = pos;
    char c = pattern.charAt(pos);
    int min;
    Integer max;
    if (c == '*' || c == '+' || c == '?') {
      pos++;
      min = c == '+' ? 1 : 0;
      max = c == '?' ? 1 : null;
    } else if (c == '{' && isRepeat()) {
      int close = pattern.indexOf('}', pos);
      String[] parts = pattern.substring(pos + 1, close).split(",", -1);
      min = Integer.parseInt(parts[0]);
      max = parts.length == 1 ? Integer.valueOf(min) : parts[1].isEmpty() ? null : Integer.valueOf(parts[1]);
      if (max != null && max < min) {
        throw unsupported("the repetition " + pattern.substring(pos, close + 1) + " (maximum below minimum)");
      }
      pos = close + 1;
    } else {
      return atom;
    }
    if (pos < pattern.length() && pattern.charAt(pos) == '?') {
      pos++; // lazy: the same set of strings
    }
    long copies = atom.copies() * Math.max(1, max == null ? min : max);
    if (copies > Gbnf.MAX_REPEAT) {
      throw refused("repetitions that write a part up to " + copies + " times (the quantifier at position " + at
          + " with those around it); at most " + Gbnf.MAX_REPEAT + " are supported");
    }
    return new Piece(g.repeat(atom.gbnf(), min, max), copies);
  }

  private boolean isRepeat() {
    int close = pattern.indexOf('}', pos);
    return close > 0 && pattern.substring(pos + 1, close).matches("\\d{1,4}(,\\d{0,4})?");
  }

  private Piece atom() {
    char c = pattern.charAt(pos);
    switch (c) {
      case '(' -> {
        int open = pos++;
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
        if (++depth > MAX_GROUP_DEPTH) {
          throw refused("groups nested deeper than " + MAX_GROUP_DEPTH + " levels (at position " + open
              + "); at most " + MAX_GROUP_DEPTH + " are supported");
        }
        Piece inner = alternation(false);
        depth--;
        if (pos >= pattern.length() || pattern.charAt(pos) != ')') {
          throw unsupported("an unclosed group");
        }
        pos++;
        return new Piece(g.add(hint, inner.gbnf()), inner.copies());
      }
      case '[' -> {
        return single(characterClass());
      }
      case '.' -> {
        pos++;
        return single(DOT);
      }
      case '\\' -> {
        return single(escape(false));
      }
      case '*', '+', '?', '{' -> {
        if (c == '{' && !isRepeat()) {
          pos++;
          return new Piece(Gbnf.literal("{"), 1);
        }
        throw unsupported("a quantifier with nothing to repeat at position " + pos);
      }
      default -> {
        int cp = pattern.codePointAt(pos);
        pos += Character.charCount(cp);
        return single(CodePointSet.of(cp));
      }
    }
  }

  private Piece single(CodePointSet set) {
    return new Piece(chars(set), 1);
  }

  private String chars(CodePointSet set) {
    String g = charsMemo.computeIfAbsent(set, JsonChars::of);
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

  private UnsupportedSchemaException refused(String what) {
    return new UnsupportedSchemaException(path, "pattern " + quote(pattern) + " has " + what);
  }

  /** The pattern for a message: its first 80 characters at most. */
  private static String quote(String s) {
    return "'" + (s.length() > 80 ? s.substring(0, 80) + "...' (" + s.length() + " characters)" : s + "'");
  }
}
