package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Each server's SSE events, as the one benchmark client reads them; the compare benchmark's worker arguments. */
class SseDialectTest {

  @Test
  void tokenbusEventsByName() {
    var d = SseLoad.Dialect.TOKENBUS;
    assertThat(d.classify("token", "{\"text\":\"a\"}").kind()).isEqualTo(SseLoad.Event.Kind.TOKEN);
    SseLoad.Event done = d.classify("done", "{\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4}}");
    assertThat(done.kind()).isEqualTo(SseLoad.Event.Kind.DONE);
    assertThat(done.completionTokens()).isEqualTo(4);
    assertThat(d.classify("error", "{\"message\":\"x\"}").kind()).isEqualTo(SseLoad.Event.Kind.ERROR);
  }

  @Test
  void openAiChatCountsContentChunksNotTheRoleOrTheFinish() {
    var d = SseLoad.Dialect.OPENAI_CHAT;
    String head = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[";
    assertThat(d.classify(null, head + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
        + "\"logprobs\":null,\"finish_reason\":null}]}").kind()).isEqualTo(SseLoad.Event.Kind.OTHER);
    assertThat(d.classify(null, head + "{\"index\":0,\"delta\":{\"content\":\" a\"},\"logprobs\":null,"
        + "\"finish_reason\":null}]}").kind()).isEqualTo(SseLoad.Event.Kind.TOKEN);
    assertThat(d.classify(null, head + "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}")
        .kind()).isEqualTo(SseLoad.Event.Kind.OTHER);
    SseLoad.Event usage = d.classify(null, head + "],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":7,"
        + "\"total_tokens\":16}}");
    assertThat(usage.kind()).isEqualTo(SseLoad.Event.Kind.DONE);
    assertThat(usage.completionTokens()).isEqualTo(7);
    assertThat(d.classify(null, "[DONE]").kind()).isEqualTo(SseLoad.Event.Kind.OTHER);
    assertThat(d.classify(null, "{\"error\":{\"message\":\"x\"}}").kind()).isEqualTo(SseLoad.Event.Kind.ERROR);
  }

  @Test
  void llamaServerChunksAsItSendsThem() {
    // Chunks as llama-server v0.5.0's /completion streams them (captured from a run on stories260K).
    var d = SseLoad.Dialect.LLAMA_SERVER;
    assertThat(d.classify(null, "{\"index\":0,\"content\":\",\",\"tokens\":[432],\"stop\":false,\"id_slot\":-1,"
        + "\"tokens_predicted\":1,\"tokens_evaluated\":5}").kind()).isEqualTo(SseLoad.Event.Kind.TOKEN);
    SseLoad.Event last = d.classify(null, "{\"index\":0,\"content\":\"\",\"tokens\":[],\"id_slot\":3,\"stop\":true,"
        + "\"tokens_predicted\":4,\"tokens_evaluated\":5,\"generation_settings\":{\"stop\":[]}}");
    assertThat(last.kind()).isEqualTo(SseLoad.Event.Kind.DONE);
    assertThat(last.completionTokens()).isEqualTo(4);
    // A prompt-progress chunk (sent when asked for) is no token.
    assertThat(d.classify(null, "{\"index\":0,\"content\":\"\",\"stop\":false,\"prompt_progress\":{\"total\":5}}")
        .kind()).isEqualTo(SseLoad.Event.Kind.OTHER);
    assertThat(d.classify(null, "{\"error\":{\"code\":400,\"message\":\"x\"}}").kind())
        .isEqualTo(SseLoad.Event.Kind.ERROR);
  }

  @Test
  void compareReplacesTheWorkersContext() {
    assertThat(CompareBenchmark.withContext(List.of("--ctx", "0", "--batch", "512"), 1024))
        .containsExactly("--batch", "512", "--ctx", "1024");
    assertThat(CompareBenchmark.withContext(List.of("--batch", "512"), 2048))
        .containsExactly("--batch", "512", "--ctx", "2048");
  }

  @Test
  void llamaServerRunsWithTheNodesShape() {
    assertThat(LlamaServer.arguments(java.nio.file.Path.of("/bin/llama-server"), java.nio.file.Path.of("m.gguf"), 1,
        16, 1024, dev.tokenbus.engine.llama.FlashAttention.AUTO, 0, 5000)).containsExactly("/bin/llama-server", "-m",
        "m.gguf", "-t", "1", "-tb", "1", "-np", "16", "-c", "16384", "--no-kv-unified", "-fa", "auto", "--host",
        "127.0.0.1", "--port", "5000");
  }

  @Test
  void llamaServerTakesTheNodesAttentionAndGpuLayers() {
    assertThat(LlamaServer.arguments(java.nio.file.Path.of("/bin/llama-server"), java.nio.file.Path.of("m.gguf"), 2,
        4, 512, dev.tokenbus.engine.llama.FlashAttention.OFF, -1, 5000)).containsSubsequence("-fa", "off")
        .containsSubsequence("-ngl", "all");
  }
}
