package dev.tokenbus.gateway.grammar;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenbus.grammar.GbnfCheck;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * Any text as a JSON Schema {@code pattern}: the regex-to-grammar converter either refuses it with
 * a {@link RequestValidationException} (a 400 naming the pattern) or makes a grammar that
 * {@link GbnfCheck} passes, and never fails any other way (no stack overflow on nested groups, no
 * runtime exception). Run by {@code bin/fuzz} (coverage-guided) and by {@code bin/test} over the
 * inputs checked in beside it.
 */
class PatternFuzzTest {

  @FuzzTest
  void patterns(byte[] input) {
    JsonObject schema = new JsonObject().put("type", "string")
        .put("pattern", new String(input, StandardCharsets.UTF_8));
    String grammar;
    try {
      grammar = JsonSchemaGrammar.forSchema(schema);
    } catch (RequestValidationException refused) {
      return;
    }
    GbnfCheck.check(grammar);
  }
}
