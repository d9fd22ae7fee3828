package dev.tokenbus.engine;

import static dev.tokenbus.engine.JinjaChatTemplateTest.GEMMA3_CHAT;
import static dev.tokenbus.engine.JinjaChatTemplateTest.QWEN25_CHAT;
import static dev.tokenbus.engine.JinjaChatTemplateTest.QWEN25_ROUND_TRIP;
import static dev.tokenbus.engine.JinjaChatTemplateTest.QWEN3_ROUND_TRIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.engine.gguf.TinyArchModel.Architecture;
import dev.tokenbus.engine.gguf.TinyArchModel;
import dev.tokenbus.engine.llama.Llama;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.Tool;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiny models of each architecture carrying their family's published chat template: the worker runs
 * it as Jinja, tools and tool turns go to a template that takes them, and to one that does not
 * (Gemma 3) as Hermes text. The expected texts are {@link JinjaChatTemplateTest}'s.
 */
@Tag("engine")
class PublishedTemplatesTest {

  static final List<ChatMessage> CHAT = List.of(new ChatMessage("system", "Be brief."),
      new ChatMessage("user", "Hi there"), new ChatMessage("assistant", "Hello!"), new ChatMessage("user", "Bye"));
  static final List<Tool> TOOLS = List.of(new Tool("get_weather", "Weather now", new JsonObject(
      "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}")));
  /** As the gateway passes them: arguments a JSON string. */
  static final List<ChatMessage> ROUND_TRIP = List.of(new ChatMessage("user", "Weather in Paris?"),
      new ChatMessage("assistant", "", "[{\"id\":\"abcdefghi\",\"type\":\"function\",\"function\":{\"name\":"
          + "\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]", null),
      new ChatMessage("tool", "{\"temp\": 21}", null, "abcdefghi"));

  @TempDir
  static Path dir;

  private static LlamaEngine start(Architecture arch, String family) throws Exception {
    assumeTrue(Llama.open(null, null).knowsArchitecture(arch.ggufName()),
        "this llama.cpp release does not implement " + arch.ggufName());
    Path file = dir.resolve(family + ".gguf");
    TinyArchModel.writer(arch, 42, TinyArchModel.publishedTemplate(family)).writeTo(file);
    return LlamaEngine.start(EngineConfig.forModel(file).withThreads(1).withSlots(2).withContextPerSequence(1024));
  }

  @Test
  void qwen25TakesToolsAndToolTurns() throws Exception {
    try (LlamaEngine engine = start(Architecture.QWEN2, "qwen2.5")) {
      ChatTemplate t = engine.chatTemplate();
      assertThat(t.kind()).isEqualTo(ChatTemplate.Kind.JINJA);
      assertThat(t.takesTools()).isTrue();
      assertThat(t.render(CHAT)).isEqualTo(QWEN25_CHAT);
      assertThat(t.render(ROUND_TRIP, TOOLS)).isEqualTo(QWEN25_ROUND_TRIP);
    }
  }

  @Test
  void qwen3TakesToolsAndToolTurns() throws Exception {
    try (LlamaEngine engine = start(Architecture.QWEN3, "qwen3")) {
      assertThat(engine.chatTemplate().kind()).isEqualTo(ChatTemplate.Kind.JINJA);
      assertThat(engine.renderChat(CHAT)).isEqualTo(QWEN25_CHAT);
      assertThat(engine.chatTemplate().render(ROUND_TRIP, TOOLS)).isEqualTo(QWEN3_ROUND_TRIP);
    }
  }

  @Test
  void llama32KeepsItsBosTextWhereTheVocabularyAddsNone() throws Exception {
    try (LlamaEngine engine = start(Architecture.LLAMA, "llama3.2")) {
      assertThat(engine.chatTemplate().kind()).isEqualTo(ChatTemplate.Kind.JINJA);
      // This vocabulary's BOS is <|endoftext|> and llama.cpp adds none, so the template's stays.
      assertThat(engine.renderChat(CHAT)).isEqualTo(JinjaChatTemplateTest.llamaChat("<|endoftext|>"));
      assertThat(engine.chatTemplate().render(ROUND_TRIP, TOOLS))
          .isEqualTo(JinjaChatTemplateTest.llamaRoundTrip("<|endoftext|>"));
    }
  }

  @Test
  void gemma3GetsToolsAsHermesText() throws Exception {
    try (LlamaEngine engine = start(Architecture.GEMMA3, "gemma3")) {
      ChatTemplate t = engine.chatTemplate();
      assertThat(t.kind()).isEqualTo(ChatTemplate.Kind.JINJA);
      assertThat(t.takesTools()).isFalse();
      // llama.cpp adds <bos> for Gemma, so the template's own is dropped.
      assertThat(t.render(CHAT)).isEqualTo(GEMMA3_CHAT.substring("<bos>".length()));
      assertThat(t.render(ROUND_TRIP, TOOLS)).isEqualTo("<start_of_turn>user\n"
          + "You may call one or more functions to assist with the user query.\n\n"
          + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
          + "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather now\","
          + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}\n"
          + "</tools>\n\nFor each function call, return a json object with function name and arguments within"
          + " <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
          + "</tool_call>\n\nWeather in Paris?<end_of_turn>\n<start_of_turn>model\n<tool_call>\n"
          + "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}\n</tool_call><end_of_turn>\n"
          + "<start_of_turn>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><end_of_turn>\n"
          + "<start_of_turn>model\n");
    }
  }

  @Test
  void aChatWithToolsIsGeneratedFromTheTemplatesPrompt() throws Exception {
    try (LlamaEngine engine = start(Architecture.QWEN2, "qwen2.5")) {
      StreamConfig greedy = StreamConfig.defaults().withTemperature(0).withMaxTokens(4);
      RecordingSink sink = new RecordingSink();
      Generation g = engine.submit(GenerationRequest.chat("t", ROUND_TRIP, TOOLS, greedy), sink);
      assertThat(g.promptTokens()).isEqualTo(engine.tokenize(QWEN25_ROUND_TRIP, true).length);
      sink.await();
    }
  }
}
