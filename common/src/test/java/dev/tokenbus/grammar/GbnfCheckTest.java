package dev.tokenbus.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The GBNF checker: llama.cpp's syntax is accepted (its own example grammars, token references,
 * comments, every repetition form), and what would crash, freeze or exhaust llama.cpp's parser is
 * refused with a message naming the problem: deep nesting, contradictory and exploding
 * repetitions, long and many-ways rule chains; as are syntax errors, undefined rules, no root.
 */
class GbnfCheckTest {

  /** llama.cpp's grammars/json.gbnf. */
  static final String JSON = """
      root   ::= object
      value  ::= object | array | string | number | ("true" | "false" | "null") ws

      object ::=
        "{" ws (
                  string ":" ws value
          ("," ws string ":" ws value)*
        )? "}" ws

      array  ::=
        "[" ws (
                  value
          ("," ws value)*
        )? "]" ws

      string ::=
        "\\"" (
          [^"\\\\\\x7F\\x00-\\x1F] |
          "\\\\" (["\\\\bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
        )* "\\"" ws

      number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

      # Optional space: by convention, applied in this grammar after literal chars when allowed
      ws ::= | " " | "\\n" [ \\t]{0,20}
      """;

  /** llama.cpp's grammars/arithmetic.gbnf. */
  static final String ARITHMETIC = """
      root  ::= (expr "=" ws term "\\n")+
      expr  ::= term ([-+*/] term)*
      term  ::= ident | num | "(" ws expr ")" ws
      ident ::= [a-z] [a-z0-9_]* ws
      num   ::= [0-9]+ ws
      ws    ::= [ \\t\\n]*
      """;

  static String nested(int depth) {
    return "root ::= " + "(".repeat(depth) + "\"a\"" + ")".repeat(depth);
  }

  static String chain(int rules) {
    StringBuilder b = new StringBuilder("root ::= r1\n");
    for (int i = 1; i < rules; i++) {
      b.append('r').append(i).append(" ::= r").append(i + 1).append(" \"x\"\n");
    }
    return b.append('r').append(rules).append(" ::= \"end\"\n").toString();
  }

  private static void refused(String gbnf, boolean limit, String... words) {
    assertThatThrownBy(() -> GbnfCheck.check(gbnf)).isInstanceOf(GbnfException.class)
        .satisfies(e -> {
          assertThat(((GbnfException) e).limit()).as("limit: %s", e.getMessage()).isEqualTo(limit);
          for (String w : words) {
            assertThat(e.getMessage()).contains(w);
          }
        });
  }

  @Test
  void llamaCppsExampleGrammarsAndEverySyntaxFormPass() {
    assertThat(GbnfCheck.check(JSON).rules()).isGreaterThan(10);
    GbnfCheck.check(ARITHMETIC);
    GbnfCheck.check("root ::= \"a\"{3} \"b\"{2,} \"c\"{0,4} \"d\"{ 1 , 2 } \"e\"* \"f\"+ \"g\"? . [^\\]\\-x-z]\r\n");
    GbnfCheck.check("root ::= <[12]> !<[13]> <think> \"\\u00e9\\U0001F600\\x41\\t\\r\\n\\\\\\\"\\[\\]\\-\" \"é😀\"");
    GbnfCheck.check("# a comment\nroot ::= a | b # trailing\n\na ::= \"a\" (\n  \"x\" |\n  \"y\"\n)\nb ::= [] \"b\"\n");
    GbnfCheck.check("root ::= \"a\"{0,0} \"b\"{0} \"c\"\n");
    GbnfCheck.check("root ::= x\nx ::= \"1\"\nx ::= \"2\"\n"); // a later definition replaces an earlier one
  }

  @Test
  void nestingIsBoundedAndTheBoundIsNamed() {
    assertThat(GbnfCheck.check(nested(GbnfCheck.MAX_NESTING)).nesting()).isEqualTo(GbnfCheck.MAX_NESTING);
    refused(nested(GbnfCheck.MAX_NESTING + 1), true, "nest deeper than " + GbnfCheck.MAX_NESTING);
    refused(nested(3000), true, "nest deeper than " + GbnfCheck.MAX_NESTING, "column " + (9 + GbnfCheck.MAX_NESTING + 1));
    refused(nested(100_000), true, "nest deeper than " + GbnfCheck.MAX_NESTING);
    refused("root ::= " + "(".repeat(500_000), true, "nest deeper than " + GbnfCheck.MAX_NESTING); // unclosed too
  }

  @Test
  void aRepetitionWhoseMaximumIsBelowItsMinimumIsRefused() {
    refused("root ::= \"a\"{3,2}", true, "{3,2}", "maximum below its minimum", "line 1, column 13");
    refused("root ::= x\nx ::= (\"a\" | \"b\"){10,0}\n", true, "{10,0}", "line 2");
  }

  @Test
  void repetitionsThatExpandEnormouslyAreRefused() {
    // Ours: copies of a long item, within llama.cpp's own bound of 2000 repetitions.
    refused("root ::= \"" + "a".repeat(1000) + "\"{2000}", true, "more than 1000000 elements");
    refused("root ::= " + "\"a\"{0,2000} ".repeat(101), true, "more than 200000 rules");
    refused("root ::= \"a\"{99999999999999999999999}", true, "is too large");
    // llama.cpp's (MAX_REPETITION_THRESHOLD): a minimum over 2000, and repetitions of repetitions
    // whose product of counts passes 2000, are refused; a maximum over 2000 reads as none.
    refused("root ::= \"a\"{999999999}", false, "repeats more than 2000 times");
    refused("root ::= \"abc\"{1000}{1000}", false, "more than 2000 rules");
    refused("root ::= \"abcdefghij\"{100}{100}{100}", false, "more than 2000 rules");
    refused("root ::= (((\"a\"{0,500}){0,500}){0,500})", false, "more than 2000 rules");
    assertThat(GbnfCheck.check("root ::= \"a\"{0,300000}").rules()).isEqualTo(2);
    assertThat(GbnfCheck.check("root ::= \"a\"{3,100000}").rules()).isEqualTo(2);
    // Within the bounds, also nested: each level makes its rules once.
    GbnfCheck.Summary s = GbnfCheck.check("root ::= (((\"a\"{1,10}){1,10}){1,10})");
    assertThat(s.rules()).isBetween(30, 40);
    assertThat(s.elements()).isLessThan(1_000);
    // Optional copies of optional copies, though, are ever more ways to the next character.
    refused("root ::= (((\"a\"{0,10}){0,10}){0,10})", true, "ways at once");
  }

  @Test
  void ruleChainsAreBoundedInDepthAndInWays() {
    assertThat(GbnfCheck.check(chain(1999)).depth()).isEqualTo(2000);
    refused(chain(2000), true, "chain of more than 2000 nested rules");
    refused(chain(60_000), true, "chain of more than 2000 nested rules"); // no stack overflow here either
    // A chain that may be entered two ways at every link: 2^40 ways for llama.cpp to walk.
    StringBuilder b = new StringBuilder("root ::= r0\n");
    for (int i = 0; i < 40; i++) {
      b.append('r').append(i).append(" ::= r").append(i + 1).append(" | r").append(i + 1).append(" \"b\"\n");
    }
    refused(b.append("r40 ::= \"x\"\n").toString(), true, "more than 1000000 ways");
  }

  /** {@code l0 ::= l1? l1?}, ... {@code lN ::= "a"}: few bytes, ever more ways for llama.cpp to walk. */
  static String optionalsNested(int levels) {
    StringBuilder b = new StringBuilder("root ::= l0 \"b\"\n");
    for (int i = 0; i < levels; i++) {
      b.append('l').append(i).append(" ::= l").append(i + 1).append("? l").append(i + 1).append("?\n");
    }
    return b.append('l').append(levels).append(" ::= \"a\"\n").toString();
  }

  @Test
  void whatWouldMakeLlamaCppWalkWithoutEndIsRefused() {
    // A left recursion through a rule that is empty only through another: llama.cpp's own check
    // misses it and its parser recurses until the process dies (found by reading its check).
    refused("root ::= a root \"x\" | \"y\"\na ::= b\nb ::= \"\" | \"z\"\n", true,
        "'root' can start with itself through rules that may match nothing");
    refused("root ::= (x)* \"y\"\nx ::= w\nw ::= \"\"\n", true, "through rules that may match nothing");
    // Optional rules nested in optional rules: the ways to the next character multiply at each level.
    assertThat(GbnfCheck.check(optionalsNested(4)).rules()).isGreaterThan(4);
    refused(optionalsNested(5), true, "more than " + GbnfCheck.MAX_PATHS + " ways at once");
    refused(optionalsNested(20), true); // (here the left-recursion walk's bound comes first)
    // ... also after a character, not only at the start.
    refused("root ::= \"a\" l0 \"b\"\n" + optionalsNested(6).substring(optionalsNested(6).indexOf('\n') + 1), true,
        "ways at once");
    // Many alternatives are many ways too, each a character apart: fine up to the bound.
    assertThat(GbnfCheck.check("root ::= " + "\"a\" | ".repeat(4000) + "\"b\"").rules()).isEqualTo(1);
  }

  @Test
  void whatLlamaCppRefusesIsRefusedWithItsReason() {
    refused("root ::= x", false, "'x' is used but never defined");
    // A rule named only where {0} drops it is never looked for (bin/fuzz found this one) ...
    assertThat(GbnfCheck.check("root ::= \"aMc\"{2}030{0}").rules()).isEqualTo(1);
    // ... unless it is the start rule, which llama.cpp would then read past the end of its table.
    refused("a ::= \"x\" root{0}", true, "never defines its 'root' rule");
    refused("start ::= \"a\"", false, "no 'root' rule");
    refused("root ::= root \"a\" | \"b\"", false, "left-recursive");
    refused("root ::= x \"a\"\nx ::= \"\" | root", false, "left-recursive");
    refused("root ::= \"abc", false, "end of input");
    refused("root ::= \"\\q\"", false, "unknown escape");
    refused("root ::= \"\\x4\"", false, "expecting 2 hex digits");
    refused("root := \"a\"", false, "expecting ::=");
    refused("root ::= (\"a\"", false, "expecting ')'");
    refused("root ::= \"a\" )", false, "expecting newline or end", "column 14");
    refused("root ::= * \"a\"", false, "expecting an item before the repetition");
    refused("root ::= \"a\"{x}", false, "expecting an integer");
    refused("root ::= <[12", false, "expecting ']'");
    refused("root ::= \"a\0\"", false, "NUL");
    refused("   \n ", false, "empty");
  }

  @Test
  void aMegabyteOfHostileGrammarIsCheckedQuickly() {
    long t0 = System.nanoTime();
    refused("root ::= " + "(\"a\" | ".repeat(150_000), true, "nest deeper");
    refused("root ::= " + "\"a\"+ ".repeat(200_000), true, "more than 1000000 elements");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
  }
}
