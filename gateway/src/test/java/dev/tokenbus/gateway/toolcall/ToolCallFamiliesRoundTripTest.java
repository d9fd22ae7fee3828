package dev.tokenbus.gateway.toolcall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.RecordingSink;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.grammar.SchemaCheck;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.toolcall.ParsedAnswer;
import dev.tokenbus.toolcall.ToolCall;
import dev.tokenbus.toolcall.ToolCallReader;
import dev.tokenbus.toolcall.ToolCallStream;
import dev.tokenbus.toolcall.ToolCallSyntax;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * For every tool-call family, text sampled by the real engine from that family's required-call
 * grammar (on the generated tiny model, greedy and sampled, one call and parallel calls) parses
 * back to the same calls with the family's whole-answer parser, its streaming parser fed token by
 * token, and the reader that tries every family; the calls are valid, and the text is exactly the
 * family's compact form of them.
 */
@Tag("engine")
class ToolCallFamiliesRoundTripTest {

  static final JsonObject WEATHER = new JsonObject("""
      {"type":"object","properties":{"city":{"type":"string","maxLength":12},"unit":{"type":"string","enum":["c","f"]},
       "days":{"type":"integer","minimum":1,"maximum":7},"tags":{"type":"array","items":{"type":"boolean"},"maxItems":2}},
       "required":["city","unit"],"additionalProperties":false}""");
  static final JsonObject NOW = new JsonObject("""
      {"type":"object","properties":{},"additionalProperties":false}""");
  private static LlamaEngine engine;
  private static int counter;

  @BeforeAll
  static void start() {
    engine = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(2048));
  }

  @AfterAll
  static void stop() {
    if (engine != null) {
      engine.close();
    }
  }

  private static ToolSpec spec(boolean parallel) {
    JsonArray tools = new JsonArray()
        .add(new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "get_weather")
            .put("parameters", WEATHER)))
        .add(new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "now")
            .put("parameters", NOW)));
    return ToolSpec.parse(new JsonObject().put("tools", tools).put("tool_choice", "required"), parallel);
  }

  @Test
  void sampledCallsParseBackInEveryFamily() {
    StreamConfig base = StreamConfig.defaults().withMaxTokens(1500);
    List<StreamConfig> samplers = List.of(base.withTemperature(0), base.withTemperature(1.0).withSeed(1L),
        base.withTemperature(1.3).withSeed(2L).withTopK(0));
    for (ToolCallSyntax family : ToolCallSyntax.ALL) {
      for (boolean parallel : List.of(false, true)) {
        ToolSpec spec = spec(parallel);
        String grammar = ToolCallGrammar.of(spec, family);
        for (StreamConfig c : samplers) {
          String what = family.name() + " parallel=" + parallel + " " + c;
          RecordingSink sink = new RecordingSink();
          engine.submit(new GenerationRequest("f" + (++counter), "hello", c.withGrammar(grammar)), sink);
          GenerationResult r = sink.await();
          String text = sink.text();
          assertThat(r.finishReason()).as("%s: %s", what, text).isEqualTo(FinishReason.STOP);

          List<ToolCall> whole = family.parse(text, spec.names()).calls();
          assertThat(whole).as("%s: %s", what, text).isNotEmpty()
              .hasSizeLessThanOrEqualTo(parallel ? ToolCallGrammar.MAX_PARALLEL_CALLS : 1);
          for (ToolCall call : whole) {
            JsonObject schema = call.name().equals("now") ? NOW : WEATHER;
            assertThat(SchemaCheck.errors(schema, call.arguments())).as("%s: %s", what, call).isEmpty();
          }
          assertThat(family.write(whole)).as("%s: the compact form", what).isEqualTo(text);

          ToolCallStream stream = family.stream(spec.names());
          List<JsonObject> deltas = new ArrayList<>();
          for (TokenData t : sink.tokens()) {
            stream.feed(t.text()).forEach(d -> deltas.add((JsonObject) d));
          }
          stream.finish().forEach(d -> deltas.add((JsonObject) d));
          assertThat(stream.gaveUp()).as(what).isFalse();
          assertThat(merged(deltas)).as("%s: streamed", what).isEqualTo(namesAndArguments(whole));
          assertThat(namesAndArguments(stream.completed())).isEqualTo(namesAndArguments(whole));

          ParsedAnswer any = ToolCallReader.parse(text, spec.names());
          assertThat(namesAndArguments(any.calls())).as("%s: read as any family", what).isEqualTo(namesAndArguments(whole));
          assertThat(any.content()).isEmpty();
        }
      }
    }
  }

  private static List<String> namesAndArguments(List<ToolCall> calls) {
    return calls.stream().map(c -> c.name() + " " + c.arguments()).toList();
  }

  /** Streamed deltas merged per index as a client does. */
  private static List<String> merged(List<JsonObject> deltas) {
    Map<Integer, String[]> calls = new LinkedHashMap<>();
    for (JsonObject d : deltas) {
      String[] c = calls.computeIfAbsent(d.getInteger("index"), k -> new String[] {"", ""});
      JsonObject f = d.getJsonObject("function");
      c[0] += f.getString("name", "");
      c[1] += f.getString("arguments", "");
    }
    return calls.values().stream().map(c -> c[0] + " " + c[1]).toList();
  }
}
