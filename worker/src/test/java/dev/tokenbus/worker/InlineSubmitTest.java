package dev.tokenbus.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.Tool;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Which requests the worker templates and tokenizes on its event loop, and which on a blocking thread. */
@Tag("cluster")
class InlineSubmitTest {

  private static final StreamConfig CFG = StreamConfig.defaults();

  @Test
  void shortPromptsAndConversationsAreInline() {
    assertThat(WorkerVerticle.isShort(new GenerationRequest("a", "Once upon a time", List.of(), CFG, null))).isTrue();
    assertThat(WorkerVerticle.isShort(new GenerationRequest("b", "x".repeat(WorkerVerticle.INLINE_PROMPT_CHARS),
        List.of(), CFG, null))).isTrue();
    assertThat(WorkerVerticle.isShort(GenerationRequest.chat("c",
        List.of(new ChatMessage("system", "be brief", null, null), new ChatMessage("user", "hi", null, null)), CFG))).isTrue();
  }

  @Test
  void longOnesGoToABlockingThread() {
    assertThat(WorkerVerticle.isShort(new GenerationRequest("a", "x".repeat(WorkerVerticle.INLINE_PROMPT_CHARS + 1),
        List.of(), CFG, null))).isFalse();
    List<Tool> tools = List.of(new Tool("t", "d".repeat(WorkerVerticle.INLINE_PROMPT_CHARS), null));
    assertThat(WorkerVerticle.isShort(GenerationRequest.chat("t", List.of(new ChatMessage("user", "hi", null, null)),
        tools, CFG))).as("tool definitions count too").isFalse();
    assertThat(WorkerVerticle.isShort(new GenerationRequest("g", "hi", List.of(), CFG.withGrammar("root ::= \"a\"{3,2}"),
        null))).as("a grammar, however short, is parsed off the event loop").isFalse();
    String half = "y".repeat(WorkerVerticle.INLINE_PROMPT_CHARS / 2 + 1);
    assertThat(WorkerVerticle.isShort(GenerationRequest.chat("b",
        List.of(new ChatMessage("user", half, null, null), new ChatMessage("user", half, null, null)), CFG))).isFalse();
  }
}
