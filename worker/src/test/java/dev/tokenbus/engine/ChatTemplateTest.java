package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.engine.gguf.TinyArchModel;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Chat requests become prompts through the model's own template, run as Jinja; a template the Jinja
 * engine cannot run goes through llama_chat_apply_template; models without one, or with one neither
 * can use, get ChatML.
 */
@Tag("engine")
class ChatTemplateTest {

  private static final String CHATML_JINJA = TestModels.CHATML_TEMPLATE;
  static final String GEMMA_JINJA = TinyArchModel.publishedTemplate("gemma3");

  private static final List<ChatMessage> CHAT = List.of(new ChatMessage("system", "Be brief."),
      new ChatMessage("user", "Hi there"), new ChatMessage("assistant", "Hello!"), new ChatMessage("user", "Bye"));
  private static final String CHATML_TEXT = "<|im_start|>system\nBe brief.<|im_end|>\n"
      + "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
      + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n";

  private static LlamaEngine start(TinyLlamaModel.Spec spec) {
    return LlamaEngine.start(EngineConfig.forModel(TestModels.tiny(spec)).withThreads(1).withSlots(2)
        .withContextPerSequence(256));
  }

  @Test
  void aModelWithAChatmlTemplateRendersChatml() {
    try (LlamaEngine engine = start(TinyLlamaModel.Spec.defaults().withChatTemplate(CHATML_JINJA))) {
      assertThat(engine.chatTemplate().kind()).isEqualTo(ChatTemplate.Kind.JINJA);
      assertThat(engine.renderChat(CHAT)).isEqualTo(CHATML_TEXT);
    }
  }

  @Test
  void aModelWithAGemmaTemplateRendersGemmaTurns() {
    try (LlamaEngine engine = start(TinyLlamaModel.Spec.defaults().withChatTemplate(GEMMA_JINJA))) {
      assertThat(engine.chatTemplate().kind()).isEqualTo(ChatTemplate.Kind.JINJA);
      // Gemma has no system role: its template puts the system text in front of the first user turn;
      // its leading bos_token is dropped because llama.cpp adds BOS for this vocabulary.
      assertThat(engine.renderChat(CHAT)).isEqualTo("<start_of_turn>user\nBe brief.\n\nHi there<end_of_turn>\n"
          + "<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n");
    }
  }

  @Test
  void aModelWithoutATemplateFallsBackToChatml() {
    try (LlamaEngine engine = start(TinyLlamaModel.Spec.defaults())) {
      assertThat(engine.model().chatTemplate()).isNull();
      assertThat(engine.chatTemplate().isModelsOwn()).isFalse();
      assertThat(engine.renderChat(CHAT)).isEqualTo(CHATML_TEXT);
    }
  }

  @Test
  void aTemplateTheJinjaEngineCannotRunGoesThroughLlamaCpp() {
    // Unclosed for: not Jinja, but llama.cpp recognises ChatML by its markers.
    try (LlamaEngine engine = start(TinyLlamaModel.Spec.defaults().withChatTemplate(
        "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"))) {
      assertThat(engine.chatTemplate().kind()).isEqualTo(ChatTemplate.Kind.LLAMA_CPP);
      assertThat(engine.renderChat(CHAT)).isEqualTo(CHATML_TEXT);
    }
  }

  @Test
  void aTemplateNeitherCanUseFallsBackToChatml() {
    try (LlamaEngine engine = start(TinyLlamaModel.Spec.defaults().withChatTemplate("{% for m in messages %}{{ m }}"))) {
      assertThat(engine.chatTemplate().kind()).isEqualTo(ChatTemplate.Kind.CHATML);
      assertThat(engine.renderChat(CHAT)).isEqualTo(CHATML_TEXT);
    }
  }

  @Test
  void contentWithANulCharacterIsRefusedRatherThanCutShort() {
    try (LlamaEngine engine = start(TinyLlamaModel.Spec.defaults())) {
      assertThatThrownBy(() -> engine.renderChat(List.of(new ChatMessage("user", "a\u0000b"))))
          .isInstanceOf(RequestValidationException.class).hasMessageContaining("NUL");
    }
  }

  @Test
  void aChatRequestIsTokenizedFromItsRenderedPrompt() throws Exception {
    try (LlamaEngine engine = start(TinyLlamaModel.Spec.defaults().withChatTemplate(CHATML_JINJA))) {
      StreamConfig greedy = StreamConfig.defaults().withTemperature(0).withMaxTokens(8);
      RecordingSink chat = new RecordingSink();
      Generation g = engine.submit(GenerationRequest.chat("c", CHAT, greedy), chat);
      RecordingSink plain = new RecordingSink();
      Generation p = engine.submit(new GenerationRequest("p", CHATML_TEXT, greedy), plain);
      assertThat(g.promptTokens()).isEqualTo(engine.tokenize(CHATML_TEXT, true).length).isEqualTo(p.promptTokens());
      assertThat(chat.await().finishReason()).isEqualTo(plain.await().finishReason());
      assertThat(chat.text()).isEqualTo(plain.text());
    }
  }
}
