package dev.tokenbus.gateway.grammar;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenbus.grammar.GbnfCheck;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * Any JSON object as a {@code json_schema} (or a tool's parameters, or {@code response_format}'s
 * schema): {@link JsonSchemaGrammar} either refuses it with a {@link RequestValidationException}
 * naming the place (a 400) or makes a grammar that {@link GbnfCheck} passes, so that no schema can
 * produce a grammar llama.cpp chokes on, and it never fails any other way (no stack overflow, no
 * runtime exception). Run by {@code bin/fuzz} (coverage-guided) and by {@code bin/test} over the
 * inputs checked in beside it.
 */
class JsonSchemaFuzzTest {

  @FuzzTest
  void schemas(byte[] input) {
    JsonObject schema;
    try {
      schema = new JsonObject(new String(input, StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException notAnObject) {
      return; // the gateway refuses the body before it is a schema
    }
    String grammar;
    try {
      grammar = JsonSchemaGrammar.forSchema(schema);
    } catch (RequestValidationException refused) {
      return;
    }
    GbnfCheck.check(grammar);
  }
}
