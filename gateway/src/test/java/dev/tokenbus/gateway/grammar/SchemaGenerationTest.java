package dev.tokenbus.gateway.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.RecordingSink;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every schema of {@link SchemaCorpus}, converted to a grammar, is accepted by llama.cpp and makes
 * the engine produce JSON that validates against the schema, for greedy and sampled decoding, on
 * the trained stories260K model (when present) and on the generated tiny model.
 */
@Tag("engine")
class SchemaGenerationTest {

  private static LlamaEngine tiny;
  private static LlamaEngine stories;
  private static int counter;

  @BeforeAll
  static void start() {
    tiny = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4)
        .withContextPerSequence(1024));
  }

  @AfterAll
  static void stop() {
    if (tiny != null) {
      tiny.close();
    }
    if (stories != null) {
      stories.close();
    }
  }

  static List<StreamConfig> samplers() {
    StreamConfig base = StreamConfig.defaults().withMaxTokens(900);
    return List.of(base.withTemperature(0), base.withTemperature(1.0).withSeed(1L),
        base.withTemperature(1.3).withSeed(2L).withTopK(0).withTopP(0.95),
        base.withTemperature(0.9).withSeed(3L).withPenalties(0.2, 0.2));
  }

  @Test
  void storiesAlwaysAnswersWithJsonThatValidates() {
    stories = LlamaEngine.start(EngineConfig.forModel(TestModels.stories260k()).withThreads(1).withSlots(4)
        .withContextPerSequence(1024));
    assertEveryOutputValidates(stories, "Once upon a time", SchemaCorpus.bounded());
  }

  @Test
  void theRandomTinyModelAlsoAnswersWithJsonThatValidates() {
    assertEveryOutputValidates(tiny, "hello", SchemaCorpus.bounded());
  }

  @Test
  void unboundedSchemasValidateWheneverTheModelClosesThem() {
    int closed = 0;
    for (Map.Entry<String, JsonObject> e : SchemaCorpus.unbounded().entrySet()) {
      String grammar = JsonSchemaGrammar.forSchema(e.getValue());
      for (StreamConfig c : samplers()) {
        RecordingSink sink = new RecordingSink();
        tiny.submit(new GenerationRequest("u" + (++counter), "hello", c.withMaxTokens(300).withGrammar(grammar)), sink);
        GenerationResult r = sink.await();
        if (r.finishReason() == FinishReason.STOP) {
          closed++;
          assertThat(SchemaCheck.errors(e.getValue(), sink.text())).as("%s: %s", e.getKey(), sink.text()).isEmpty();
        } else {
          assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
          assertThat(r.usage().completionTokens()).isEqualTo(300);
        }
      }
    }
    assertThat(closed).as("some unbounded documents are closed").isPositive();
  }

  private static void assertEveryOutputValidates(LlamaEngine engine, String prompt, Map<String, JsonObject> schemas) {
    for (Map.Entry<String, JsonObject> e : schemas.entrySet()) {
      String grammar = JsonSchemaGrammar.forSchema(e.getValue());
      for (StreamConfig c : samplers()) {
        RecordingSink sink = new RecordingSink();
        engine.submit(new GenerationRequest("s" + (++counter), prompt, c.withGrammar(grammar)), sink);
        GenerationResult r = sink.await();
        String json = sink.text();
        assertThat(r.finishReason()).as("%s with %s: %s\n%s", e.getKey(), c, json, grammar).isEqualTo(FinishReason.STOP);
        assertThat(SchemaCheck.errors(e.getValue(), json)).as("%s with %s: %s", e.getKey(), c, json).isEmpty();
      }
    }
  }

  @Test
  void jsonObjectModeGivesAnObject() {
    RecordingSink sink = new RecordingSink();
    tiny.submit(new GenerationRequest("o", "hi", StreamConfig.defaults().withMaxTokens(900).withSeed(5L)
        .withGrammar(JsonSchemaGrammar.anyObject())), sink);
    sink.await();
    assertThat(new JsonObject(sink.text())).isNotNull();
  }

  @Test
  void integerRangesHoldExactly() {
    long[][] ranges = {{0, 0}, {-9, 9}, {7, 13}, {-1000, -999}, {95, 1203}, {-45, 2}, {100, 100}, {1, 99999}};
    for (long[] r : ranges) {
      JsonObject schema = new JsonObject().put("type", "integer").put("minimum", r[0]).put("maximum", r[1]);
      String grammar = JsonSchemaGrammar.forSchema(schema);
      for (long seed = 1; seed <= 12; seed++) {
        RecordingSink sink = new RecordingSink();
        tiny.submit(new GenerationRequest("i", "x", StreamConfig.defaults().withTemperature(2.0).withTopK(0).withSeed(seed)
            .withMaxTokens(50).withGrammar(grammar)), sink);
        sink.await();
        long v = Long.parseLong(sink.text().strip());
        assertThat(v).as("%s in [%d, %d]", sink.text(), r[0], r[1]).isBetween(r[0], r[1]);
        assertThat(sink.text().strip()).isEqualTo(Long.toString(v)); // no leading zeros, no "-0"
      }
    }
  }

  @Test
  void unsupportedFeaturesAreRefusedByName() {
    Map<String, String> refused = Map.ofEntries(
        Map.entry("{\"type\":\"string\",\"pattern\":\"(a)\\\\1\"}", "back-references"),
        Map.entry("{\"type\":\"string\",\"pattern\":\"a(?=b)\"}", "look-around"),
        Map.entry("{\"oneOf\":[{\"type\":\"string\"}]}", "oneOf"),
        Map.entry("{\"type\":\"object\",\"patternProperties\":{}}", "patternProperties"),
        Map.entry("{\"type\":\"array\",\"uniqueItems\":true}", "uniqueItems"),
        Map.entry("{\"type\":\"string\",\"format\":\"hostname-idn\"}", "hostname-idn"),
        Map.entry("{\"type\":\"number\",\"exclusiveMinimum\":0}", "exclusiveMinimum"),
        Map.entry("{\"$ref\":\"#/$defs/missing\"}", "points to nothing"),
        Map.entry("{\"type\":\"integer\",\"multipleOf\":3}", "multipleOf"),
        Map.entry("{\"not\":{}}", "not"),
        Map.entry("{\"type\":\"integer\",\"minimum\":1e20}", "minimum beyond"));
    refused.forEach((schema, name) -> assertThatThrownBy(() -> JsonSchemaGrammar.forSchema(new JsonObject(schema)))
        .as(schema).isInstanceOf(UnsupportedSchemaException.class).hasMessageContaining(name));
  }
}
