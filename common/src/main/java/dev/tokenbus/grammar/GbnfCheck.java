package dev.tokenbus.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a GBNF grammar (llama.cpp's grammar format, start rule {@code root}) before llama.cpp is
 * given it: a parser of the same syntax that builds the same rules llama.cpp's parser would build
 * ({@code llama-grammar.cpp} of the releases tokenbus runs), and refuses what would crash, freeze
 * or exhaust the process that parses it:
 *
 * <ul>
 *   <li>groups nested deeper than {@value #MAX_NESTING} (llama.cpp's parser recurses once per
 *       group and overflows its thread's native stack a few thousand levels down);
 *   <li>repetitions whose maximum is below their minimum ({@code "a"{3,2}}: llama.cpp counts the
 *       optional copies as {@code max - min} without a sign and never stops making rules);
 *   <li>repetitions that expand to more than {@value #MAX_ELEMENTS} grammar elements or
 *       {@value #MAX_RULES} rules in all (llama.cpp copies the repeated item {@code m} times and
 *       makes one rule per optional copy, so {@code "abc"{1000}{1000}} is a million elements);
 *   <li>rules that can start with chains of other rules more than {@value #MAX_DEPTH} deep, or in
 *       more than {@value #MAX_LEFT_RECURSION_STEPS} ways (llama.cpp's left-recursion check
 *       recurses along such chains, once per way, without remembering what it saw);
 *   <li>what llama.cpp refuses anyway, with a message naming the problem and where it is: syntax
 *       errors, undefined rules, no {@code root} rule, left recursion, a NUL character.
 * </ul>
 *
 * Token references ({@code <[id]>}, {@code <text>}, negated with {@code !}) are accepted as
 * syntax; whether the model's vocabulary has them is llama.cpp's to say. Linear in the grammar's
 * size and the elements it expands to; recursion in this class is bounded by {@value #MAX_NESTING}
 * levels, so it is safe on any thread. Stateless and thread-safe.
 */
public final class GbnfCheck {

  /**
   * The deepest nesting of parenthesised groups. The parser recurses once per level, on the
   * caller's thread (a gateway's event loop): 256 levels stay far inside a default thread stack
   * even with instrumented frames (at 1,000, bin/fuzz overflowed a 1 MB stack under Jazzer).
   */
  public static final int MAX_NESTING = 256;
  /**
   * The longest chain of rules through which a rule can start (groups and repetitions are rules, so
   * {@value #MAX_NESTING} nested groups are a chain of {@value #MAX_NESTING} + 1).
   */
  public static final int MAX_DEPTH = 2000;
  /**
   * The most rules, those that groups and repetitions make included: room for one repetition of
   * up to 100,000 optional copies, the most a JSON Schema's {@code maxLength} or {@code maxItems} may ask for.
   */
  public static final int MAX_RULES = 200_000;
  /** The most grammar elements (characters, ranges, references, separators) after expanding repetitions. */
  public static final long MAX_ELEMENTS = 1_000_000;
  /** The most steps llama.cpp's left-recursion check may take. */
  public static final long MAX_LEFT_RECURSION_STEPS = 1_000_000;
  /**
   * llama.cpp's own bound on repetitions ({@code MAX_REPETITION_THRESHOLD}): it refuses a minimum
   * above it, reads a maximum above it as no maximum, and refuses a repetition whose count times the
   * rules the repeated item made exceeds it.
   */
  public static final int LLAMA_REPETITION_THRESHOLD = 2000;
  /**
   * The most ways llama.cpp may walk from one place in the grammar to the characters that can come
   * next. It walks them all, without memory, each time a token is tried (and keeps the distinct
   * ones, comparing each with all before it): {@code l0 ::= l1? l1?}, nested twenty deep, is 96
   * bytes that never finish parsing.
   */
  public static final long MAX_PATHS = 4096;

  /**
   * What a grammar that passed expands to: its rules (groups' and repetitions' included), the
   * elements made while expanding it, its deepest group nesting, its longest chain of rules a rule
   * can start with, the steps of llama.cpp's left-recursion check, and the tokens it names by text
   * ({@code <text>}, the angle brackets included, as llama.cpp tokenizes them): each must be exactly
   * one token of the model's vocabulary, which llama.cpp checks and this class cannot.
   */
  public record Summary(int rules, long elements, int nesting, int depth, long leftRecursionSteps,
      List<String> tokenTexts) {}

  private static final int TERMINAL = -1;
  private static final long NO_MAX = -1;

  private GbnfCheck() {}

  /**
   * Checks {@code gbnf}.
   *
   * @return the sizes it expands to
   * @throws GbnfException naming the first problem found
   */
  public static Summary check(String gbnf) {
    if (gbnf == null || gbnf.isBlank()) {
      throw new GbnfException("the grammar is empty", false);
    }
    int nul = gbnf.indexOf('\0');
    if (nul >= 0) {
      throw new GbnfException("the grammar contains a NUL character" + Parser.where(gbnf, nul), false);
    }
    Parser p = new Parser(gbnf);
    p.parse();
    return new Analysis(p).run();
  }

  /** The parser: llama.cpp's {@code llama_grammar_parser}, building rules of references and terminals. */
  private static final class Parser {
    private final String src;
    private int pos;
    private final Map<String, Integer> ids = new HashMap<>();
    /** Per symbol: the name a message shows (a group or repetition shows the rule it is in). */
    private final List<String> names = new ArrayList<>();
    /** Per symbol: its alternatives, or null while undefined. */
    private final List<List<Ints>> rules = new ArrayList<>();
    private long elements;
    /** The {@code <text>} token references, brackets included. */
    private final List<String> tokenTexts = new ArrayList<>();
    private int nesting;
    private int maxNesting;

    Parser(String src) {
      this.src = src;
    }

    void parse() {
      pos = space(0, true);
      while (pos < src.length()) {
        rule();
      }
    }

    private void rule() {
      int start = pos;
      int end = name(pos);
      String name = src.substring(start, end);
      int id = symbol(name);
      pos = space(end, false);
      if (!src.startsWith("::=", pos)) {
        throw fail("expecting ::=", pos);
      }
      pos = space(pos + 3, true);
      alternates(name, id, false);
      if (pos < src.length()) {
        char c = src.charAt(pos);
        if (c == '\r') {
          pos += pos + 1 < src.length() && src.charAt(pos + 1) == '\n' ? 2 : 1;
        } else if (c == '\n') {
          pos++;
        } else {
          throw fail("expecting newline or end", pos);
        }
      }
      pos = space(pos, true);
    }

    private void alternates(String ruleName, int id, boolean nested) {
      List<Ints> alts = new ArrayList<>();
      alts.add(sequence(ruleName, nested));
      while (pos < src.length() && src.charAt(pos) == '|') {
        pos = space(pos + 1, true);
        alts.add(sequence(ruleName, nested));
      }
      define(id, alts);
    }

    private Ints sequence(String ruleName, boolean nested) {
      Ints seq = new Ints();
      int lastSymStart = 0;
      long prevRules = 1; // llama.cpp's n_prev_rules: the rules the last item made, times its repetitions
      while (pos < src.length()) {
        char c = src.charAt(pos);
        if (c == '"') {
          pos++;
          lastSymStart = seq.size();
          prevRules = 1;
          while (true) {
            if (pos >= src.length()) {
              throw fail("unexpected end of input in a string literal", pos);
            }
            if (src.charAt(pos) == '"') {
              break;
            }
            pos = character(pos);
            add(seq, TERMINAL);
          }
          pos = space(pos + 1, nested);
        } else if (c == '[') {
          pos++;
          if (pos < src.length() && src.charAt(pos) == '^') {
            pos++;
          }
          lastSymStart = seq.size();
          prevRules = 1;
          while (true) {
            if (pos >= src.length()) {
              throw fail("unexpected end of input in a character class", pos);
            }
            if (src.charAt(pos) == ']') {
              break;
            }
            pos = character(pos);
            add(seq, TERMINAL);
            if (pos < src.length() && src.charAt(pos) == '-' && (pos + 1 >= src.length() || src.charAt(pos + 1) != ']')) {
              if (pos + 1 >= src.length()) {
                throw fail("unexpected end of input in a character range", pos);
              }
              pos = character(pos + 1);
              add(seq, TERMINAL);
            }
          }
          pos = space(pos + 1, nested);
        } else if (c == '<' || c == '!') {
          pos = token(c == '!' ? pos + 1 : pos);
          lastSymStart = seq.size();
          prevRules = 1;
          add(seq, TERMINAL);
          pos = space(pos, nested);
        } else if (isWordChar(c)) {
          int end = name(pos);
          int ref = symbol(src.substring(pos, end));
          pos = space(end, nested);
          lastSymStart = seq.size();
          prevRules = 1;
          add(seq, ref);
        } else if (c == '(') {
          if (nesting >= MAX_NESTING) {
            throw tooMuch("groups nest deeper than " + MAX_NESTING + " levels", pos);
          }
          pos = space(pos + 1, true);
          int before = names.size();
          int sub = newSymbol(ruleName);
          nesting++;
          maxNesting = Math.max(maxNesting, nesting);
          alternates(ruleName, sub, true);
          nesting--;
          prevRules = Math.max(1, names.size() - before);
          lastSymStart = seq.size();
          add(seq, sub);
          if (pos >= src.length() || src.charAt(pos) != ')') {
            throw fail("expecting ')'", pos);
          }
          pos = space(pos + 1, nested);
        } else if (c == '.') {
          lastSymStart = seq.size();
          prevRules = 1;
          add(seq, TERMINAL);
          pos = space(pos + 1, nested);
        } else if (c == '*' || c == '+' || c == '?') {
          int at = pos;
          pos = space(pos + 1, nested);
          prevRules = repeat(seq, lastSymStart, prevRules, ruleName, c == '+' ? 1 : 0, c == '?' ? 1 : NO_MAX, at);
        } else if (c == '{') {
          int at = pos;
          pos = space(pos + 1, nested);
          if (pos >= src.length() || !isDigit(src.charAt(pos))) {
            throw fail("expecting an integer", pos);
          }
          long min = integer();
          pos = space(pos, nested);
          long max;
          if (pos < src.length() && src.charAt(pos) == '}') {
            max = min;
            pos = space(pos + 1, nested);
          } else if (pos < src.length() && src.charAt(pos) == ',') {
            pos = space(pos + 1, nested);
            max = NO_MAX;
            if (pos < src.length() && isDigit(src.charAt(pos))) {
              max = integer();
              pos = space(pos, nested);
            }
            if (pos >= src.length() || src.charAt(pos) != '}') {
              throw fail("expecting '}'", pos);
            }
            pos = space(pos + 1, nested);
          } else {
            throw fail("expecting ',' or '}'", pos);
          }
          if (min > LLAMA_REPETITION_THRESHOLD) {
            throw fail("the repetition {" + min + (max == min ? "" : "," + (max == NO_MAX ? "" : max)) + "} repeats more than "
                + LLAMA_REPETITION_THRESHOLD + " times, llama.cpp's limit", at);
          }
          if (max != NO_MAX && max < min) {
            throw tooMuch("the repetition {" + min + "," + max + "} has a maximum below its minimum", at);
          }
          if (max > LLAMA_REPETITION_THRESHOLD) {
            max = NO_MAX; // as llama.cpp reads it
          }
          prevRules = repeat(seq, lastSymStart, prevRules, ruleName, min, max, at);
        } else {
          break;
        }
      }
      return seq;
    }

    /**
     * llama.cpp's rewrite of {@code S{min,max}}: S copied {@code min} times, then one rule per
     * optional copy ({@code S' ::= S S'' |}), or one recursive rule without a maximum.
     *
     * @param prevRules the rules the repeated item made (llama.cpp's {@code n_prev_rules})
     * @return the rules the repeated item makes now
     */
    private long repeat(Ints seq, int lastSymStart, long prevRules, String ruleName, long min, long max, int at) {
      if (lastSymStart == seq.size()) {
        throw fail("expecting an item before the repetition", at);
      }
      long times = max != NO_MAX && max > 0 ? max : Math.max(1, min);
      if (saturatingMultiply(prevRules, times) > LLAMA_REPETITION_THRESHOLD) {
        throw fail("repeating an item of " + prevRules + " rules " + times + " times makes more than "
            + LLAMA_REPETITION_THRESHOLD + " rules, llama.cpp's limit", at);
      }
      int size = seq.size() - lastSymStart;
      long optional = max == NO_MAX ? 1 : max - min;
      if (names.size() + optional > MAX_RULES) {
        throw tooMuch("the repetition makes more than " + MAX_RULES + " rules", at);
      }
      grow(saturatingAdd(saturatingMultiply(size, Math.max(0, min - 1)), saturatingMultiply(optional, size + 1L), 1),
          "the repetition expands the grammar to more than " + MAX_ELEMENTS + " elements", at);
      int[] prev = seq.slice(lastSymStart, seq.size());
      if (min == 0) {
        seq.truncate(lastSymStart);
      } else {
        for (long i = 1; i < min; i++) {
          seq.addAll(prev);
        }
      }
      int last = 0;
      for (long i = 0; i < optional; i++) {
        int id = newSymbol(ruleName);
        Ints once = new Ints();
        once.addAll(prev);
        if (i > 0 || max == NO_MAX) {
          once.add(max == NO_MAX ? id : last);
        }
        define(id, List.of(once, new Ints()));
        last = id;
      }
      if (optional > 0) {
        seq.add(last);
      }
      return prevRules * times;
    }

    private void add(Ints seq, int element) {
      grow(1, "the grammar has more than " + MAX_ELEMENTS + " elements", pos);
      seq.add(element);
    }

    /** Defines rule {@code id}; its alternatives' elements are counted as they were made. */
    private void define(int id, List<Ints> alts) {
      grow(alts.size(), "the grammar has more than " + MAX_ELEMENTS + " elements", pos); // separators and the end
      rules.set(id, alts);
    }

    /**
     * Counts {@code n} more elements made, failing past {@link #MAX_ELEMENTS}. Every element is
     * counted when it is made, also one a later {@code ?} or {@code *} drops again: this bounds the
     * parser's work (llama.cpp's and this one's) as well as the result.
     */
    private void grow(long n, String tooMany, int at) {
      if (n > MAX_ELEMENTS - elements) {
        throw tooMuch(tooMany, at);
      }
      elements += n;
    }

    private int symbol(String name) {
      Integer id = ids.get(name);
      if (id == null) {
        id = newSymbol(name);
        ids.put(name, id);
      }
      return id;
    }

    /** A new symbol: a named rule's, or (named after the rule it is in) a group's or a repetition's. */
    private int newSymbol(String name) {
      if (names.size() >= MAX_RULES) {
        throw tooMuch("the grammar has more than " + MAX_RULES + " rules", pos);
      }
      names.add(name);
      rules.add(null);
      return names.size() - 1;
    }

    /** One character of a literal or class, plain or escaped: llama.cpp's {@code parse_char}. */
    private int character(int at) {
      char c = src.charAt(at);
      if (c != '\\') {
        return at + Character.charCount(src.codePointAt(at));
      }
      if (at + 1 >= src.length()) {
        throw fail("unexpected end of input after '\\'", at);
      }
      return switch (src.charAt(at + 1)) {
        case 'x' -> hex(at + 2, 2);
        case 'u' -> hex(at + 2, 4);
        case 'U' -> hex(at + 2, 8);
        case 't', 'r', 'n', '\\', '"', '[', ']', '-' -> at + 2;
        default -> throw fail("unknown escape '\\" + src.charAt(at + 1) + "'", at);
      };
    }

    private int hex(int at, int digits) {
      for (int i = 0; i < digits; i++) {
        if (at + i >= src.length() || Character.digit(src.charAt(at + i), 16) < 0 || src.charAt(at + i) > 'f') {
          throw fail("expecting " + digits + " hex digits", at);
        }
      }
      return at + digits;
    }

    /** {@code <[id]>} or {@code <text>} from {@code at} (its '<'): llama.cpp's {@code parse_token}. */
    private int token(int at) {
      if (at >= src.length() || src.charAt(at) != '<') {
        throw fail("expecting '<'", at);
      }
      int p = at + 1;
      if (p < src.length() && src.charAt(p) == '[') {
        p++;
        if (p >= src.length() || !isDigit(src.charAt(p))) {
          throw fail("expecting a token id", p);
        }
        int start = p;
        while (p < src.length() && isDigit(src.charAt(p))) {
          p++;
        }
        if (p - start > 10 || Long.parseLong(src.substring(start, p)) > 0xFFFF_FFFFL) {
          throw tooMuch("the token id is out of range", start);
        }
        if (p >= src.length() || src.charAt(p) != ']') {
          throw fail("expecting ']'", p);
        }
        p++;
        if (p >= src.length() || src.charAt(p) != '>') {
          throw fail("expecting '>'", p);
        }
        return p + 1;
      }
      int close = src.indexOf('>', p);
      if (close < 0) {
        throw fail("expecting '>'", src.length());
      }
      tokenTexts.add(src.substring(at, close + 1));
      return close + 1;
    }

    private long integer() {
      int start = pos;
      while (pos < src.length() && isDigit(src.charAt(pos))) {
        pos++;
      }
      if (pos - start > 9) {
        throw tooMuch("the repetition count " + src.substring(start, Math.min(pos, start + 30))
            + (pos - start > 30 ? "..." : "") + " is too large", start);
      }
      return Long.parseLong(src.substring(start, pos));
    }

    private int name(int at) {
      int p = at;
      while (p < src.length() && isWordChar(src.charAt(p))) {
        p++;
      }
      if (p == at) {
        throw fail("expecting a rule name", at);
      }
      return p;
    }

    /** Skips blanks and comments, and line ends where {@code newlines} (llama.cpp's {@code parse_space}). */
    private int space(int at, boolean newlines) {
      int p = at;
      while (p < src.length()) {
        char c = src.charAt(p);
        if (c == '#') {
          while (p < src.length() && src.charAt(p) != '\r' && src.charAt(p) != '\n') {
            p++;
          }
        } else if (c == ' ' || c == '\t' || (newlines && (c == '\r' || c == '\n'))) {
          p++;
        } else {
          break;
        }
      }
      return p;
    }

    /** A syntax error (llama.cpp refuses it too). */
    private GbnfException fail(String what, int at) {
      return new GbnfException(what + where(src, at), false);
    }

    /** Past one of the bounds (llama.cpp would accept it and choke). */
    private GbnfException tooMuch(String what, int at) {
      return new GbnfException(what + where(src, at), true);
    }

    static String where(String src, int at) {
      int line = 1;
      int lineStart = 0;
      for (int i = 0; i < Math.min(at, src.length()); i++) {
        if (src.charAt(i) == '\n') {
          line++;
          lineStart = i + 1;
        }
      }
      return at >= src.length() ? " at the end of the grammar" : " at line " + line + ", column " + (at - lineStart + 1);
    }
  }

  /** After parsing: what llama.cpp checks when it builds the grammar, bounded. */
  private static final class Analysis {
    private final Parser p;
    private final int n;

    private GbnfException undefined(int id) {
      return new GbnfException("the rule '" + p.names.get(id) + "' is used but never defined", false);
    }

    Analysis(Parser p) {
      this.p = p;
      int defined = 0;
      for (int id = 0; id < p.names.size(); id++) {
        if (p.rules.get(id) != null) {
          defined = id + 1;
        }
      }
      this.n = defined; // llama.cpp's rules: up to the last one defined; a symbol past it only named
    }

    Summary run() {
      // As llama.cpp's parser: every rule up to the last one defined, and every rule referenced, must be defined.
      for (int id = 0; id < n; id++) {
        if (p.rules.get(id) == null) {
          throw undefined(id);
        }
      }
      for (int id = 0; id < n; id++) {
        for (Ints alt : p.rules.get(id)) {
          for (int i = 0; i < alt.size(); i++) {
            if (alt.get(i) >= n) {
              throw undefined(alt.get(i));
            }
          }
        }
      }
      Integer root = p.ids.get("root");
      if (root == null) {
        throw new GbnfException("the grammar has no 'root' rule", false);
      }
      if (root >= n) {
        // Named only where a {0} dropped it: llama.cpp would start from a rule past its table.
        throw new GbnfException("the grammar never defines its 'root' rule", true);
      }
      boolean[] mayBeEmpty = new boolean[n];
      for (int id = 0; id < n; id++) {
        for (Ints alt : p.rules.get(id)) {
          mayBeEmpty[id] |= alt.size() == 0;
        }
      }
      int[][] starts = new int[n][];
      for (int id = 0; id < n; id++) {
        starts[id] = leftmostReferences(p.rules.get(id), mayBeEmpty);
      }
      Summary summary = leftRecursion(starts, false, null);
      // llama.cpp's own check counts a rule as possibly empty only when an alternative is written
      // empty; one that is empty through other rules (a ::= b, b ::= "" | "z") hides a left
      // recursion it then follows without end. Checked again, with emptiness as it is.
      boolean[] nullable = nullable();
      for (int id = 0; id < n; id++) {
        starts[id] = leftmostReferences(p.rules.get(id), nullable);
      }
      int[] order = new int[n];
      leftRecursion(starts, true, order);
      paths(nullable, order);
      return summary;
    }

    /** Which rules can match nothing, also through other rules: a worklist over the references. */
    private boolean[] nullable() {
      boolean[] nullable = new boolean[n];
      int alts = 0;
      for (int id = 0; id < n; id++) {
        alts += p.rules.get(id).size();
      }
      int[] owner = new int[alts];
      int[] pending = new int[alts];
      List<Ints> uses = new ArrayList<>(n); // per rule: the alternatives it stands in, once per place
      for (int id = 0; id < n; id++) {
        uses.add(new Ints());
      }
      Ints queue = new Ints();
      int a = 0;
      for (int id = 0; id < n; id++) {
        for (Ints alt : p.rules.get(id)) {
          owner[a] = id;
          boolean terminal = false;
          for (int i = 0; i < alt.size(); i++) {
            terminal |= alt.get(i) == TERMINAL;
          }
          if (!terminal) {
            pending[a] = alt.size();
            for (int i = 0; i < alt.size(); i++) {
              uses.get(alt.get(i)).add(a);
            }
            if (alt.size() == 0 && !nullable[id]) {
              nullable[id] = true;
              queue.add(id);
            }
          }
          a++;
        }
      }
      for (int q = 0; q < queue.size(); q++) {
        Ints in = uses.get(queue.get(q));
        for (int i = 0; i < in.size(); i++) {
          int alt = in.get(i);
          if (--pending[alt] == 0 && !nullable[owner[alt]]) {
            nullable[owner[alt]] = true;
            queue.add(owner[alt]);
          }
        }
      }
      return nullable;
    }

    /**
     * Counts, with saturation, the ways llama.cpp walks from each place a token can leave it at (the
     * start of {@code root}, and each place after a character) to the characters that can come next
     * ({@code F}, through references and rules that match nothing), plus the ways it passes the end
     * ({@code N}, on to the rule that called): refused past {@link #MAX_PATHS}. Rules are visited in
     * {@code order}, each after the rules it can start with.
     */
    private void paths(boolean[] nullable, int[] order) {
      long[] f = new long[n];
      long[] e = new long[n];
      long[] fn = new long[2];
      for (int r : order) {
        for (Ints alt : p.rules.get(r)) {
          walk(alt, 0, f, e, fn);
          f[r] = saturatingAdd(f[r], fn[0], 0);
          e[r] = saturatingAdd(e[r], fn[1], 0);
        }
      }
      int root = p.ids.get("root");
      tooManyPaths(saturatingAdd(f[root], e[root], 0), root);
      for (int r = 0; r < n; r++) {
        for (Ints alt : p.rules.get(r)) {
          for (int k = 1; k < alt.size(); k++) {
            if (alt.get(k - 1) == TERMINAL && alt.get(k) != TERMINAL) {
              walk(alt, k, f, e, fn);
              tooManyPaths(saturatingAdd(fn[0], fn[1], 0), r);
            }
          }
        }
      }
    }

    /** The ways from {@code alt}'s element {@code k} to a character ({@code out[0]}) and past its end ({@code out[1]}). */
    private static void walk(Ints alt, int k, long[] f, long[] e, long[] out) {
      long ways = 0;
      long through = 1;
      for (int i = k; i < alt.size() && through > 0; i++) {
        int el = alt.get(i);
        if (el == TERMINAL) {
          ways = saturatingAdd(ways, through, 0);
          through = 0;
        } else {
          ways = saturatingAdd(ways, saturatingMultiply(through, f[el]), 0);
          through = saturatingMultiply(through, e[el]);
        }
      }
      out[0] = ways;
      out[1] = through;
    }

    private void tooManyPaths(long ways, int rule) {
      if (ways > MAX_PATHS) {
        throw new GbnfException("the rule '" + p.names.get(rule) + "' can go on in more than " + MAX_PATHS
            + " ways at once (optional or empty-matching rules nested in one another), more than llama.cpp can"
            + " follow for each token in reasonable time", true);
      }
    }

    /**
     * The rules {@code alts} can start with, once per occurrence, as llama.cpp's left-recursion
     * check visits them: the first reference of each alternative, and the next while the one
     * before may be empty (has an empty alternative).
     */
    private static int[] leftmostReferences(List<Ints> alts, boolean[] mayBeEmpty) {
      Ints out = new Ints();
      for (Ints alt : alts) {
        for (int i = 0; i < alt.size(); i++) {
          int e = alt.get(i);
          if (e == TERMINAL) {
            break;
          }
          out.add(e);
          if (!mayBeEmpty[e]) {
            break;
          }
        }
      }
      return out.slice(0, out.size());
    }

    /**
     * Depth-first over the start graph, without recursion: a cycle is left recursion; the longest
     * path is how deep llama.cpp's check recurses; the number of paths is how many calls it makes
     * (it visits a rule once per way to reach it, counted from each rule it starts from).
     */
    private Summary leftRecursion(int[][] starts, boolean throughEmptyRules, int[] order) {
      int done = 0;
      byte[] state = new byte[n]; // 0 new, 1 on the path, 2 done
      int[] depth = new int[n];
      long[] calls = new long[n];
      int[] stack = new int[n];
      int[] next = new int[n];
      long steps = 0;
      int maxDepth = 0;
      for (int root = 0; root < n; root++) {
        if (state[root] != 0) {
          continue;
        }
        int top = 0;
        stack[0] = root;
        next[0] = 0;
        state[root] = 1;
        while (top >= 0) {
          int r = stack[top];
          if (next[top] < starts[r].length) {
            int s = starts[r][next[top]++];
            if (state[s] == 1) {
              throw throughEmptyRules
                  ? new GbnfException("the rule '" + p.names.get(s) + "' can start with itself through rules that"
                      + " may match nothing: llama.cpp does not see this left recursion and would follow it without end",
                      true)
                  : new GbnfException("the rule '" + p.names.get(s) + "' is left-recursive: it can start with itself,"
                      + " which llama.cpp does not support", false);
            }
            if (state[s] == 0) {
              state[s] = 1;
              top++;
              stack[top] = s;
              next[top] = 0;
            }
            continue;
          }
          long c = 1;
          int d = 0;
          for (int s : starts[r]) {
            c = saturatingAdd(c, calls[s], 0);
            d = Math.max(d, depth[s]);
          }
          calls[r] = c;
          depth[r] = d + 1;
          state[r] = 2;
          if (order != null) {
            order[done++] = r;
          }
          top--;
        }
        steps = saturatingAdd(steps, calls[root], 0);
        maxDepth = Math.max(maxDepth, depth[root]);
        if (maxDepth > MAX_DEPTH) {
          throw new GbnfException("the rule '" + p.names.get(root) + "' starts with a chain of more than " + MAX_DEPTH
              + " nested rules", true);
        }
        if (steps > MAX_LEFT_RECURSION_STEPS) {
          throw new GbnfException("the rules can start with one another in more than " + MAX_LEFT_RECURSION_STEPS
              + " ways (from rule '" + p.names.get(root) + "'), more than llama.cpp can check in reasonable time", true);
        }
      }
      return new Summary(n, p.elements, p.maxNesting, maxDepth, steps, List.copyOf(p.tokenTexts));
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isWordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || isDigit(c);
  }

  private static long saturatingMultiply(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
  }

  private static long saturatingAdd(long a, long b, long c) {
    long ab = a + b;
    if (ab < 0) {
      return Long.MAX_VALUE;
    }
    long abc = ab + c;
    return abc < 0 ? Long.MAX_VALUE : abc;
  }

  /** A growable list of ints. */
  private static final class Ints {
    private int[] a = new int[8];
    private int size;

    int size() {
      return size;
    }

    int get(int i) {
      return a[i];
    }

    void add(int v) {
      if (size == a.length) {
        a = Arrays.copyOf(a, size * 2);
      }
      a[size++] = v;
    }

    void addAll(int[] vs) {
      if (size + vs.length > a.length) {
        a = Arrays.copyOf(a, Math.max(a.length * 2, size + vs.length));
      }
      System.arraycopy(vs, 0, a, size, vs.length);
      size += vs.length;
    }

    int[] slice(int from, int to) {
      return Arrays.copyOfRange(a, from, to);
    }

    void truncate(int to) {
      size = to;
    }
  }
}
