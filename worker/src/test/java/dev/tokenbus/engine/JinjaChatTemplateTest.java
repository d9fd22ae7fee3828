package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.engine.gguf.TinyArchModel;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The published chat templates of Qwen 2.5, Qwen 3, Llama 3.2, Gemma 3 and Mistral (v0.3, with
 * tools) run by the Jinja engine: each expected text is what Hugging Face's {@code apply_chat_template}
 * gives for the same conversation, worked out from the template by hand.
 */
class JinjaChatTemplateTest {

  static final List<Map<String, Object>> CHAT = List.of(m("system", "Be brief."), m("user", "Hi there"),
      m("assistant", "Hello!"), m("user", "Bye"));

  static final List<Map<String, Object>> TOOLS = List.of(map("type", "function", "function", map(
      "name", "get_weather", "description", "Weather now", "parameters", map("type", "object",
          "properties", map("city", map("type", "string")), "required", List.of("city")))));

  /** A question, the model's call, the tool's answer: the next turn is the model's reply. */
  static final List<Map<String, Object>> ROUND_TRIP = List.of(m("user", "Weather in Paris?"),
      map("role", "assistant", "content", "", "tool_calls", List.of(map("id", "abcdefghi", "type", "function",
          "function", map("name", "get_weather", "arguments", map("city", "Paris"))))),
      map("role", "tool", "content", "{\"temp\": 21}", "tool_call_id", "abcdefghi"));

  static final String QWEN_TOOLS_BLOCK = "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
      + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
      + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather now\","
      + " \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}},"
      + " \"required\": [\"city\"]}}}\n</tools>\n\n"
      + "For each function call, return a json object with function name and arguments within <tool_call></tool_call>"
      + " XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n";
  static final String QWEN_ROUND_TRIP_TURNS = "<|im_start|>user\nWeather in Paris?<|im_end|>\n"
      + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      + "</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>\n"
      + "<|im_start|>assistant\n";

  static final String QWEN25_CHAT = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n"
      + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n";
  static final String QWEN25_ROUND_TRIP = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a"
      + " helpful assistant.\n\n" + QWEN_TOOLS_BLOCK + QWEN_ROUND_TRIP_TURNS;
  static final String QWEN3_ROUND_TRIP = "<|im_start|>system\n" + QWEN_TOOLS_BLOCK + QWEN_ROUND_TRIP_TURNS;
  static final String GEMMA3_CHAT = "<bos><start_of_turn>user\nBe brief.\n\nHi there<end_of_turn>\n"
      + "<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n";

  static String llamaChat(String bos) {
    return bos + "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: "
        + today() + "\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
        + "Bye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  }

  static String llamaRoundTrip(String bos) {
    return bos + "<|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December"
        + " 2023\nToday Date: " + today() + "\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
        + "Given the following functions, please respond with a JSON for a function call with its proper arguments"
        + " that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\":"
        + " dictionary of argument name and its value}.Do not use variables.\n\n"
        + "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n"
        + "        \"description\": \"Weather now\",\n        \"parameters\": {\n            \"type\": \"object\",\n"
        + "            \"properties\": {\n                \"city\": {\n                    \"type\": \"string\"\n"
        + "                }\n            },\n            \"required\": [\n                \"city\"\n            ]\n"
        + "        }\n    }\n}\n\nWeather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        + "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"
        // A string is iterable in Jinja, so the template writes the tool's result with tojson.
        + "<|start_header_id|>ipython<|end_header_id|>\n\n\"{\\\"temp\\\": 21}\"<|eot_id|>"
        + "<|start_header_id|>assistant<|end_header_id|>\n\n";
  }

  static String today() {
    return JinjaChatTemplate.strftime(ZonedDateTime.now(), "%d %b %Y");
  }

  private static JinjaChatTemplate template(String family) {
    return new JinjaChatTemplate(TinyArchModel.publishedTemplate(family), "<s>", "</s>");
  }

  @Test
  void qwen25() {
    JinjaChatTemplate t = template("qwen2.5");
    assertThat(t.render(CHAT, null, true)).isEqualTo(QWEN25_CHAT);
    assertThat(t.render(ROUND_TRIP, TOOLS, true)).isEqualTo(QWEN25_ROUND_TRIP);
    // Without add_generation_prompt the last turn is not opened.
    assertThat(t.render(CHAT, null, false)).isEqualTo(QWEN25_CHAT.substring(0,
        QWEN25_CHAT.length() - "<|im_start|>assistant\n".length()));
  }

  @Test
  void qwen3() {
    JinjaChatTemplate t = template("qwen3");
    assertThat(t.render(CHAT, null, true)).isEqualTo(QWEN25_CHAT);
    assertThat(t.render(ROUND_TRIP, TOOLS, true)).isEqualTo(QWEN3_ROUND_TRIP);
    // An earlier answer's reasoning is dropped; only the text after </think> stays.
    assertThat(t.render(List.of(m("user", "Hi"), m("assistant", "<think>\nhmm\n</think>\n\nHello!"), m("user", "Bye")),
        null, true)).isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
        + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
  }

  @Test
  void llama32() {
    JinjaChatTemplate t = template("llama3.2");
    assertThat(t.render(CHAT, null, true)).isEqualTo(llamaChat("<s>"));
    assertThat(t.render(ROUND_TRIP, TOOLS, true)).isEqualTo(llamaRoundTrip("<s>"));
  }

  @Test
  void gemma3() {
    JinjaChatTemplate t = new JinjaChatTemplate(TinyArchModel.publishedTemplate("gemma3"), "<bos>", "<eos>");
    assertThat(t.render(CHAT, null, true)).isEqualTo(GEMMA3_CHAT);
    // Gemma 3 takes no tools: a tool turn breaks its alternation, and its raise_exception says so.
    assertThatThrownBy(() -> t.render(ROUND_TRIP, TOOLS, true)).isInstanceOf(JinjaChatTemplate.TemplateException.class)
        .hasMessage("Conversation roles must alternate user/assistant/user/assistant/...");
  }

  @Test
  void mistral() {
    JinjaChatTemplate t = template("mistral-v0.3");
    // The system message goes with the last user turn.
    assertThat(t.render(CHAT, null, true)).isEqualTo("<s>[INST] Hi there[/INST] Hello!</s>[INST] Be brief.\n\nBye[/INST]");
    assertThat(t.render(ROUND_TRIP, TOOLS, true)).isEqualTo("<s>[AVAILABLE_TOOLS] [{\"type\": \"function\","
        + " \"function\": {\"name\": \"get_weather\", \"description\": \"Weather now\", \"parameters\": {\"type\":"
        + " \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}]"
        + "[/AVAILABLE_TOOLS][INST] Weather in Paris?[/INST][TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\":"
        + " {\"city\": \"Paris\"}, \"id\": \"abcdefghi\"}]</s>[TOOL_RESULTS] {\"content\": {\"temp\": 21},"
        + " \"call_id\": \"abcdefghi\"}[/TOOL_RESULTS]");
  }

  @Test
  void pythonJsonSpacingAndIndent() {
    Map<String, Object> v = map("a", List.of(1, 2.5, true), "b", map(), "c", "é\n\"");
    assertThat(JinjaChatTemplate.toJson(v)).isEqualTo("{\"a\": [1, 2.5, true], \"b\": {}, \"c\": \"é\\n\\\"\"}");
    assertThat(JinjaChatTemplate.toJson(List.of(1, map("x", null)), 2)).isEqualTo("[\n  1,\n  {\n    \"x\": null\n  }\n]");
  }

  @Test
  void rewritesOnlyWhatJinjavaParsesDifferently() {
    assertThat(JinjaChatTemplate.normalise("{% if not tools is defined %}{% for m in messages[::-1] %}"
        + "{% set ns = namespace(a=true, b=messages|length - 1) %}"))
        .isEqualTo("{% if not (tools is defined) %}{% for m in (messages|reverse|list) %}"
            + "{% set ns = namespace(a=(true), b=(messages|length - 1)) %}");
  }

  static Map<String, Object> m(String role, String content) {
    return map("role", role, "content", content);
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
