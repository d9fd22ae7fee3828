package dev.tokenbus.engine.llama;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.grammar.GbnfCheck;
import dev.tokenbus.grammar.GbnfException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link GbnfCheck} against llama.cpp's own grammar parser, on any text: a grammar the check passes,
 * llama.cpp parses (the check is no looser than llama.cpp, so nothing it lets through can fail or
 * crash there); a grammar the check refuses for a reason llama.cpp shares (a syntax error, an
 * undefined rule, no root, left recursion), llama.cpp refuses as well (the check is no stricter
 * than it says). Tokens named by text ({@code <text>}) are the vocabulary's to know: a grammar
 * naming one that is not exactly one token of the model's is refused by llama.cpp alone, as the
 * check documents. The check follows the current release; on the b4916 fallback, whose parser knows
 * less syntax and fewer bounds, a grammar the check passes is parsed only to show that it does not
 * crash llama.cpp (one it cannot parse is refused by the worker with llama.cpp's error). Grammars refused for tokenbus's own bounds never reach llama.cpp: those are the
 * ones that crash or freeze it. Run by {@code bin/fuzz} (coverage-guided) and by {@code bin/test}
 * over the inputs checked in beside it.
 */
@Tag("engine")
class GbnfAgreementFuzzTest {

  private static NativeModel model;
  /** The check follows the current release's parser; the older b4916 lacks some of its syntax. */
  private static boolean current;

  @BeforeAll
  static void load() {
    Llama llama = Llama.open(null, null);
    current = llama.release() == LlamaReleases.V050;
    model = llama.loadModel(TestModels.tiny(), 0);
  }

  @AfterAll
  static void free() {
    if (model != null) {
      model.close();
    }
  }

  @FuzzTest
  void grammars(byte[] input) {
    String gbnf = new String(input, java.nio.charset.StandardCharsets.UTF_8);
    boolean checked;
    GbnfCheck.Summary summary = null;
    try {
      summary = GbnfCheck.check(gbnf);
      checked = true;
    } catch (GbnfException refused) {
      if (refused.limit()) {
        return;
      }
      checked = false;
    }
    if (!checked && !current) {
      return;
    }
    boolean parsed;
    try (NativeGrammar grammar = NativeGrammar.parse(model, gbnf)) {
      parsed = true;
    } catch (InvalidGrammarException e) {
      parsed = false;
    }
    if (checked && !parsed && summary.tokenTexts().stream()
        .anyMatch(t -> model.tokenize(t, false, true).length != 1)) {
      return; // a token the vocabulary does not have
    }
    if (checked != parsed && current) {
      throw new AssertionError((checked ? "GbnfCheck passes a grammar llama.cpp refuses: "
          : "GbnfCheck refuses a grammar llama.cpp parses: ") + gbnf);
    }
  }
}
