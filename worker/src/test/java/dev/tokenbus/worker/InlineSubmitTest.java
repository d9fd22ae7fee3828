package dev.tokenbus.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which requests the worker templates and tokenizes on its event loop, and which on a blocking thread. */
class InlineSubmitTest {

  private static final StreamConfig CFG = StreamConfig.defaults();

  @Test
  void shortPromptsAndConversationsAreInline() {
    assertThat(WorkerVerticle.isShort(new GenerationRequest("a", "Once upon a time", List.of(), CFG))).isTrue();
    assertThat(WorkerVerticle.isShort(new GenerationRequest("b", "x".repeat(WorkerVerticle.INLINE_PROMPT_CHARS),
        List.of(), CFG))).isTrue();
    assertThat(WorkerVerticle.isShort(GenerationRequest.chat("c",
        List.of(new ChatMessage("system", "be brief"), new ChatMessage("user", "hi")), CFG))).isTrue();
  }

  @Test
  void longOnesGoToABlockingThread() {
    assertThat(WorkerVerticle.isShort(new GenerationRequest("a", "x".repeat(WorkerVerticle.INLINE_PROMPT_CHARS + 1),
        List.of(), CFG))).isFalse();
    String half = "y".repeat(WorkerVerticle.INLINE_PROMPT_CHARS / 2 + 1);
    assertThat(WorkerVerticle.isShort(GenerationRequest.chat("b",
        List.of(new ChatMessage("user", half), new ChatMessage("user", half)), CFG))).isFalse();
  }
}
