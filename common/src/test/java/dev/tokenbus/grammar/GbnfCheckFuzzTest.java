package dev.tokenbus.grammar;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Any text as a grammar: {@link GbnfCheck} either passes it or refuses it with a
 * {@link GbnfException} naming the problem, and never fails any other way (no stack overflow on
 * nesting, no runtime exception, no hang: its bounds hold for every input). Run by
 * {@code bin/fuzz} (coverage-guided) and by {@code bin/test} over the inputs checked in beside it.
 */
class GbnfCheckFuzzTest {

  @FuzzTest
  void grammars(byte[] input) {
    String gbnf = new String(input, java.nio.charset.StandardCharsets.UTF_8);
    try {
      GbnfCheck.check(gbnf);
    } catch (GbnfException refused) {
      // a 400 naming the problem
    }
  }
}
