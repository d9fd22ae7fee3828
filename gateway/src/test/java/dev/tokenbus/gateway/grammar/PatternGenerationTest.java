package dev.tokenbus.gateway.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.RecordingSink;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code pattern} as a grammar: strings sampled hot from the random tiny model under each pattern's
 * grammar are JSON strings whose value the same regular expression (java.util.regex, which agrees
 * with ECMA-262 on these) finds, with JSON escapes for quotes, backslashes and
 * control characters.
 */
@Tag("engine")
class PatternGenerationTest {

  private static LlamaEngine tiny;

  @BeforeAll
  static void start() {
    tiny = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(512));
  }

  @AfterAll
  static void stop() {
    if (tiny != null) {
      tiny.close();
    }
  }

  @Test
  void generatedStringsMatchTheirPattern() {
    // Bounded patterns: every string they allow fits in max_tokens, so each one is closed.
    List<String> patterns = List.of("^[a-c]{2,4}x?$", "^(?:ab|cd){1,3}\\.(txt|md)$", "^\\d{3}-\\w{2}\\s?[^a-z0-9]$",
        "^[\\u00e0-\\u00ff\"\\\\]{1,3}$", "^a.b$", "^[A-Z][a-z]{0,6}( [A-Z][a-z]{0,6}){0,2}$",
        "^(?<year>19|20)\\d{2}$", "^[^\"]{0,5}\\t$");
    for (String regex : patterns) {
      JsonObject schema = new JsonObject().put("type", "string").put("pattern", regex);
      String grammar = JsonSchemaGrammar.forSchema(schema);
      Pattern java = Pattern.compile(regex);
      for (long seed = 1; seed <= 8; seed++) {
        RecordingSink sink = new RecordingSink();
        tiny.submit(new GenerationRequest("p", "x", StreamConfig.defaults().withTemperature(1.8).withTopK(0)
            .withSeed(seed).withMaxTokens(80).withGrammar(grammar)), sink);
        sink.await();
        String json = sink.text().strip();
        String value = (String) io.vertx.core.json.Json.decodeValue(json);
        assertThat(java.matcher(value).find()).as("%s from %s", json, regex).isTrue();
        assertThat(SchemaCheck.errors(schema, json)).as(json).isEmpty();
      }
    }
  }

  @Test
  void groupsAsRulesAndLargeBoundsAreGrammarsLlamaCppTakes() {
    // Lengths and item counts above llama.cpp's 2000 (written in blocks), repetitions of groups
    // (each group a rule) and the deepest groups a pattern may nest: each parses, and generation starts.
    List<JsonObject> schemas = List.of(
        new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", 100_000),
        new JsonObject().put("type", "string").put("minLength", 4321).put("maxLength", 9876),
        new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "integer")).put("maxItems", 5000),
        new JsonObject().put("type", "string").put("pattern", "^(?:ab|c(?:d|e){2}){1,40}(x[0-9]{2}){0,50}$"),
        new JsonObject().put("type", "string").put("pattern", "^" + "(".repeat(32) + "z" + ")".repeat(32) + "$"));
    for (JsonObject schema : schemas) {
      RecordingSink sink = new RecordingSink();
      tiny.submit(new GenerationRequest("b", "x", StreamConfig.defaults().withTemperature(0).withMaxTokens(6)
          .withGrammar(JsonSchemaGrammar.forSchema(schema))), sink);
      var result = sink.await();
      assertThat(result.error()).as(schema.encode()).isNull();
      assertThat(sink.text()).as(schema.encode()).isNotEmpty();
    }
  }
}
