package dev.tokenbus.gateway.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.gateway.toolcall.ToolCallGrammar;
import dev.tokenbus.gateway.toolcall.ToolSpec;
import dev.tokenbus.grammar.GbnfCheck;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every grammar the gateway itself generates passes {@link GbnfCheck}, which now guards every
 * grammar a request carries: each schema of {@link SchemaCorpus}, the converter's extremes (the
 * largest {@code maxLength} and {@code maxItems} it takes, its deepest nesting), any object, and
 * tool-call grammars, one tool or many, with parallel calls or not.
 */
class GeneratedGrammarsPassTheCheckTest {

  @Test
  void everyCorpusSchemaAndTheConvertersExtremesPass() {
    Map<String, JsonObject> schemas = new LinkedHashMap<>(SchemaCorpus.bounded());
    schemas.putAll(SchemaCorpus.unbounded());
    schemas.put("longest string", new JsonObject("{\"type\":\"string\",\"minLength\":100000,\"maxLength\":100000}"));
    schemas.put("up to the longest string", new JsonObject("{\"type\":\"string\",\"maxLength\":100000}"));
    schemas.put("longest array", new JsonObject("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":100000}"));
    schemas.put("fullest array", new JsonObject("{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"minItems\":100000}"));
    JsonObject deep = new JsonObject().put("type", "string");
    for (int i = 0; i < 60; i++) {
      deep = new JsonObject().put("type", "array").put("items", deep);
    }
    schemas.put("deepest nesting", deep);
    int checked = 0;
    for (Map.Entry<String, JsonObject> e : schemas.entrySet()) {
      String grammar = JsonSchemaGrammar.forSchema(e.getValue());
      assertThat(GbnfCheck.check(grammar).rules()).as(e.getKey()).isPositive();
      checked++;
    }
    GbnfCheck.check(JsonSchemaGrammar.anyObject());
    assertThat(checked).isGreaterThan(20);
  }

  @Test
  void toolCallGrammarsPass() {
    JsonArray tools = new JsonArray();
    for (Map.Entry<String, JsonObject> e : SchemaCorpus.bounded().entrySet()) {
      if ("object".equals(e.getValue().getString("type"))) {
        tools.add(new JsonObject().put("type", "function").put("function", new JsonObject()
            .put("name", e.getKey().replaceAll("[^a-zA-Z0-9_-]", "_")).put("parameters", e.getValue())));
      }
    }
    assertThat(tools.size()).isGreaterThan(3);
    for (boolean parallel : new boolean[] {true, false}) {
      JsonObject body = new JsonObject().put("tools", tools).put("tool_choice", "required")
          .put("parallel_tool_calls", parallel);
      GbnfCheck.check(ToolCallGrammar.of(ToolSpec.parse(body, true)));
      JsonObject one = new JsonObject().put("tools", new JsonArray().add(tools.getValue(0))).put("tool_choice", "required")
          .put("parallel_tool_calls", parallel);
      GbnfCheck.check(ToolCallGrammar.of(ToolSpec.parse(one, true)));
    }
  }
}
