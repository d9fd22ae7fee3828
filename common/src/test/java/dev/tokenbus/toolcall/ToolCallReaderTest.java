package dev.tokenbus.toolcall;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Whole answers read in every family, in their own syntax and in the looser forms models write. */
class ToolCallReaderTest {

  private static final Set<String> NAMES = Set.of("get_weather", "search");

  private static ParsedAnswer parse(String text) {
    return ToolCallReader.parse(text, NAMES);
  }

  private static List<String> calls(String text) {
    return parse(text).calls().stream().map(c -> c.name() + " " + c.arguments()).toList();
  }

  @Test
  void hermesAndQwenBlocks() {
    assertThat(calls("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"))
        .containsExactly("get_weather {\"city\":\"Paris\"}");
    ParsedAnswer p = parse("Let me check.\n<tool_call>{\"name\":\"search\",\"arguments\":{\"q\":\"a\"}}"
        + "</tool_call>\n<tool_call>{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}</tool_call>");
    assertThat(p.calls()).extracting(ToolCall::name).containsExactly("search", "get_weather");
    assertThat(p.calls().get(1).arguments()).isEqualTo("{\"city\":\"Oslo\"}");
    assertThat(p.content()).isEqualTo("Let me check.");
    assertThat(p.calls()).allSatisfy(c -> assertThat(c.id()).matches("[a-zA-Z0-9]{9}"));
    // An unclosed last block (the answer ran out) still counts when its JSON is whole.
    assertThat(calls("<tool_call>{\"name\":\"search\",\"arguments\":{}}")).containsExactly("search {}");
  }

  @Test
  void mistralBothForms() {
    assertThat(calls("[TOOL_CALLS] [{\"name\": \"search\", \"arguments\": {\"q\": \"x\"}}, {\"name\": \"get_weather\","
        + " \"arguments\": {}}]")).containsExactly("search {\"q\":\"x\"}", "get_weather {}");
    assertThat(calls("[TOOL_CALLS]search[ARGS]{\"q\": \"y\"}[TOOL_CALLS]get_weather[ARGS]{}"))
        .containsExactly("search {\"q\":\"y\"}", "get_weather {}");
  }

  @Test
  void llama3JsonWithParameters() {
    assertThat(calls("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}"))
        .containsExactly("get_weather {\"city\":\"Rome\"}");
    assertThat(calls("<|python_tag|>{\"name\": \"search\", \"parameters\": {\"q\": \"z\"}}; {\"name\": \"get_weather\","
        + " \"parameters\": {}}")).containsExactly("search {\"q\":\"z\"}", "get_weather {}");
  }

  @Test
  void genericJsonFallbacks() {
    assertThat(calls("```json\n{\"tool_calls\": [{\"function\": {\"name\": \"search\", \"arguments\": \"{}\"}}]}\n```"))
        .containsExactly("search {}");
    assertThat(calls("[{\"name\":\"search\",\"arguments\":{\"q\":1}}]")).containsExactly("search {\"q\":1}");
  }

  @Test
  void mayBeCallFollowsTheAnswersBeginningOnly() {
    ToolCallReader loose = new ToolCallReader(NAMES);
    loose.feed("\n <tool_call>{\"arguments\":{},"); // a key order no family streams: held, read at the end
    assertThat(loose.mayBeCall()).isTrue();
    loose.feed("\"name\":\"search\"}</tool_call> and some words after it");
    assertThat(loose.mayBeCall()).isTrue();
    assertThat(loose.parse().calls()).extracting(ToolCall::name).containsExactly("search");
    ToolCallReader plain = new ToolCallReader(NAMES);
    plain.feed("Sure");
    assertThat(plain.mayBeCall()).isFalse();
    plain.feed(" <tool_call>{\"name\":\"search\",\"arguments\":{}}</tool_call>");
    assertThat(plain.mayBeCall()).isFalse();
  }

  @Test
  void plainTextAndUnknownToolsAreContent() {
    for (String text : List.of("It is sunny.", "{\"name\": \"delete_everything\", \"arguments\": {}}",
        "<tool_call>not json</tool_call>", "{\"a\": 1}", "")) {
      ParsedAnswer p = parse(text);
      assertThat(p.calls()).as(text).isEmpty();
      assertThat(p.content()).isEqualTo(text);
    }
  }
}
