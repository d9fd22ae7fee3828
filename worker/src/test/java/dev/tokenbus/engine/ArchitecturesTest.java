package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.engine.gguf.ByteLevelVocabulary;
import dev.tokenbus.engine.gguf.TinyArchModel.Architecture;
import dev.tokenbus.engine.gguf.TinyArchModel;
import dev.tokenbus.engine.llama.Llama;
import dev.tokenbus.engine.llama.LlamaException;
import dev.tokenbus.engine.llama.LlamaRelease;
import dev.tokenbus.engine.llama.LlamaReleases;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Current architectures (generated tiny files with a byte-level BPE vocabulary and their family's
 * chat template) load on the default llama.cpp, answer chat and tokenize requests, and keep doing
 * so for 100 requests; an architecture the loaded release does not know is refused before loading.
 */
@Tag("engine")
class ArchitecturesTest {

  private static EngineConfig config(Path model, LlamaRelease profile) {
    return EngineConfig.forModel(model).withThreads(1).withSlots(4).withContextPerSequence(256)
        .withLlamaProfile(profile);
  }

  @ParameterizedTest
  @EnumSource(Architecture.class)
  void loadsChatsTokenizesAndSurvivesAHundredRequests(Architecture arch) throws IOException {
    Path file = TinyArchModel.cached(arch);
    assumeTrue(Llama.open(null, null).knowsArchitecture(arch.ggufName()),
        "llama.cpp " + Llama.open(null, null).release() + " does not implement " + arch.ggufName());
    try (LlamaEngine engine = LlamaEngine.start(config(file, null))) {
      // Tokenize: byte-level BPE round-trips any UTF-8 text, and the merges apply.
      String text = "the tokenizer — ünïcödé ✓";
      int[] tokens = engine.tokenize(text, false);
      assertThat(tokens).isNotEmpty().hasSizeLessThan(text.getBytes(StandardCharsets.UTF_8).length);
      assertThat(engine.detokenize(tokens)).isEqualTo(text);
      // Chat: the family's template, its control tokens parsed as such.
      String prompt = engine.renderChat(List.of(new ChatMessage("user", "hello")));
      String marker = arch == Architecture.GEMMA3 ? "<start_of_turn>" : "<|im_start|>";
      assertThat(prompt).contains(marker);
      int[] promptTokens = engine.tokenize(prompt, true, true);
      assertThat(promptTokens).contains(new ByteLevelVocabulary().special(marker));
      // 100 requests, four at a time, chat and raw prompts, greedy and sampled.
      List<RecordingSink> sinks = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        StreamConfig c = StreamConfig.defaults().withMaxTokens(12).withSeed((long) i)
            .withTemperature(i % 2 == 0 ? 0 : 0.9);
        RecordingSink sink = new RecordingSink();
        engine.submit(new GenerationRequest(arch + "-" + i, i % 3 == 0 ? prompt : "request " + i, c), sink);
        sinks.add(sink);
        if (sinks.size() == 4) {
          awaitAll(sinks);
        }
      }
      awaitAll(sinks);
      await(engine);
      assertThat(engine.failure()).isNull();
      assertThat(engine.stats().kvCellsUsed()).isZero();
    }
  }

  private static void awaitAll(List<RecordingSink> sinks) {
    for (RecordingSink s : sinks) {
      GenerationResult r = s.await();
      assertThat(r.finishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP);
      assertThat(r.usage().completionTokens()).isBetween(1, 12);
    }
    sinks.clear();
  }

  private static void await(LlamaEngine engine) {
    org.awaitility.Awaitility.await().until(() -> engine.stats().active() == 0);
  }

  @Test
  void anArchitectureTheLibraryDoesNotKnowIsRefusedBeforeLoading() throws IOException {
    try {
      Llama.open(LlamaReleases.B4916, null);
    } catch (LlamaException e) {
      assumeTrue(false, "b4916 is not available in this build: " + e.getMessage());
    }
    Path qwen3 = TinyArchModel.cached(Architecture.QWEN3);
    assertThatThrownBy(() -> LlamaEngine.start(config(qwen3, LlamaReleases.B4916)))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("'qwen3'").hasMessageContaining("b4916");
  }
}
