package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Checks that need sensible text: run on the trained stories260K model, skipped when it is absent. */
@Tag("engine")
class StoriesGenerationTest {

  private static LlamaEngine engine;

  @BeforeAll
  static void start() {
    engine = LlamaEngine.start(EngineConfig.forModel(TestModels.stories260k()).withThreads(1).withSlots(4)
        .withContextPerSequence(512));
  }

  @AfterAll
  static void stop() {
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void greedyContinuationMatchesLlamaCpp() {
    RecordingSink sink = new RecordingSink();
    engine.submit(new GenerationRequest("g1", "Once upon a time",
        StreamConfig.defaults().withTemperature(0).withMaxTokens(40)), sink);
    GenerationResult r = sink.await();
    assertThat(sink.text()).startsWith(", there was a little girl named Lily. She loved to play outside in the park.");
    assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(r.usage().promptTokens()).isEqualTo(5); // BOS + [403, 407, 261, 378]
    assertThat(r.usage().completionTokens()).isEqualTo(40);
  }

  /** Each attention kernel (fused flash attention, or the separate products and softmax) continues the story alike. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(dev.tokenbus.engine.llama.FlashAttention.class)
  void greedyContinuationIsTheSameWithEitherAttentionKernel(dev.tokenbus.engine.llama.FlashAttention fa) {
    try (LlamaEngine e = LlamaEngine.start(EngineConfig.forModel(TestModels.stories260k()).withThreads(1)
        .withSlots(1).withContextPerSequence(256).withFlashAttention(fa))) {
      RecordingSink sink = new RecordingSink();
      e.submit(new GenerationRequest("fa-" + fa, "Once upon a time",
          StreamConfig.defaults().withTemperature(0).withMaxTokens(24)), sink);
      sink.await();
      assertThat(sink.text()).startsWith(", there was a little girl named Lily. She loved to play");
    }
  }

  @Test
  void shortcutSamplingPicksTheSameTokensAsLlamaCppsFullChain() {
    List<StreamConfig> configs = List.of(StreamConfig.defaults().withTemperature(0).withMaxTokens(100),
        StreamConfig.defaults().withSeed(5L).withMaxTokens(100),
        StreamConfig.defaults().withSeed(6L).withTopK(10).withTopP(0.8).withMinP(0.05).withTemperature(1.2)
            .withMaxTokens(100));
    for (StreamConfig c : configs) {
      List<Integer> shortcut = generate(c);
      TokenPicker.alwaysFullChain = true;
      try {
        assertThat(generate(c)).as("%s", c).isEqualTo(shortcut);
      } finally {
        TokenPicker.alwaysFullChain = false;
      }
    }
  }

  private static List<Integer> generate(StreamConfig c) {
    RecordingSink sink = new RecordingSink();
    engine.submit(new GenerationRequest("cmp", "Lily wanted to", c), sink);
    sink.await();
    return sink.tokenIds();
  }

  @Test
  void stopSequenceAcrossTokenBoundaries() {
    RecordingSink sink = new RecordingSink();
    engine.submit(new GenerationRequest("g2", "Once upon a time",
        StreamConfig.defaults().withTemperature(0).withMaxTokens(64).withStop(List.of("girl named"))), sink);
    assertThat(sink.await().finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(sink.text()).isEqualTo(", there was a little ");
  }

  @Test
  void batchedSequencesMatchTheirSoloRuns() {
    List<String> prompts = List.of("Once upon a time", "Lily and Ben", "The dog", "One day, a little bird");
    List<StreamConfig> configs = List.of(StreamConfig.defaults().withTemperature(0).withMaxTokens(80),
        StreamConfig.defaults().withSeed(1L).withMaxTokens(80), StreamConfig.defaults().withSeed(2L).withMaxTokens(60),
        StreamConfig.defaults().withTemperature(0).withMaxTokens(70));
    List<String> solo = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      RecordingSink s = new RecordingSink();
      engine.submit(new GenerationRequest("solo" + i, prompts.get(i), configs.get(i)), s);
      s.await();
      solo.add(s.text());
    }
    List<RecordingSink> together = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      RecordingSink s = new RecordingSink();
      engine.submit(new GenerationRequest("batch" + i, prompts.get(i), configs.get(i)), s);
      together.add(s);
    }
    for (int i = 0; i < prompts.size(); i++) {
      together.get(i).await();
      assertThat(together.get(i).text()).as("prompt %d", i).isEqualTo(solo.get(i));
    }
  }
}
