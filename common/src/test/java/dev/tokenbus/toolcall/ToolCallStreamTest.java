package dev.tokenbus.toolcall;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ToolCallStreamTest {

  private static final Set<String> NAMES = Set.of("get_weather", "get_time");

  /** Feeds the text in pieces of {@code step} characters; returns every delta sent, in order. */
  private static List<JsonObject> stream(ToolCallStream s, String text, int step) {
    List<JsonObject> deltas = new ArrayList<>();
    for (int i = 0; i < text.length(); i += step) {
      JsonArray out = s.feed(text.substring(i, Math.min(text.length(), i + step)));
      out.forEach(o -> deltas.add((JsonObject) o));
    }
    return deltas;
  }

  /** The deltas merged per index as a client does: name, arguments. */
  private static Map<Integer, List<String>> merged(List<JsonObject> deltas) {
    Map<Integer, List<String>> calls = new LinkedHashMap<>();
    for (JsonObject d : deltas) {
      List<String> c = calls.computeIfAbsent(d.getInteger("index"), k -> new ArrayList<>(List.of("", "")));
      JsonObject f = d.getJsonObject("function");
      c.set(0, c.get(0) + f.getString("name", ""));
      c.set(1, c.get(1) + f.getString("arguments", ""));
    }
    return calls;
  }

  @Test
  void namesComeFirstThenArgumentsInFragments() {
    String text = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Pa}ris\\\"\", \"days\": [1, {\"x\": 2}]}}\n"
        + "</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";
    for (int step : new int[] {1, 3, 7, text.length()}) {
      ToolCallStream s = ToolCallSyntax.HERMES.stream(NAMES);
      List<JsonObject> deltas = stream(s, text, step);
      assertThat(s.gaveUp()).isFalse();
      assertThat(s.calls()).isEqualTo(2);
      assertThat(merged(deltas)).as("step " + step).containsExactly(
          Map.entry(0, List.of("get_weather", "{\"city\":\"Pa}ris\\\"\",\"days\":[1,{\"x\":2}]}")),
          Map.entry(1, List.of("get_time", "{}")));
      // The first delta of each call carries its id and type; later ones only argument fragments.
      assertThat(deltas.getFirst().getString("id")).matches("[a-zA-Z0-9]{9}");
      if (step == 1) {
        assertThat(deltas.stream().filter(d -> d.getInteger("index") == 0).count()).isGreaterThan(10);
      }
    }
  }

  @Test
  void otherFormatsAndUndeclaredToolsAreLeftToTheWholeAnswerParser() {
    for (String text : List.of("{\"name\": \"get_weather\", \"parameters\": {}}",
        "<tool_call>\n{\"arguments\": {}, \"name\": \"get_weather\"}</tool_call>",
        "<tool_call>\n{\"name\": \"launch\", \"arguments\": {}}</tool_call>",
        "Hello there")) {
      ToolCallStream s = ToolCallSyntax.HERMES.stream(NAMES);
      assertThat(stream(s, text, 1)).as(text).isEmpty();
      assertThat(s.gaveUp()).as(text).isTrue();
    }
  }
}
