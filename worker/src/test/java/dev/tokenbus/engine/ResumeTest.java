package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.engine.llama.FlashAttention;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A generation resumed from the tokens another worker streamed goes on exactly as the uninterrupted
 * one: same tokens, same indices, same text, for every sampler shape (greedy, seeded top-k,
 * seeded full chain with penalties, top-p).
 */
@Tag("engine")
class ResumeTest {

  private static LlamaEngine tiny;
  private static int counter;

  @BeforeAll
  static void start() {
    tiny = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(512));
  }

  @AfterAll
  static void stop() {
    if (tiny != null) {
      tiny.close();
    }
  }

  static List<StreamConfig> samplers() {
    StreamConfig base = StreamConfig.defaults().withMaxTokens(60);
    return List.of(
        base.withTemperature(0),
        base.withTemperature(0.9).withSeed(42L),
        base.withTemperature(1.0).withSeed(7L).withTopK(0).withTopP(0.9),
        base.withTemperature(0.8).withSeed(3L).withPenalties(0.3, 0.5));
  }

  @ParameterizedTest
  @MethodSource("samplers")
  void resumedGenerationContinuesTheUninterruptedOne(StreamConfig config) {
    assertResumesExactly(tiny, "once upon a time", config, List.of(1, 17, 59));
  }

  @Test
  void resumesOnATrainedModelWithARealVocabulary() {
    Path stories = TestModels.stories260k();
    try (LlamaEngine engine = LlamaEngine.start(EngineConfig.forModel(stories).withThreads(1).withSlots(1)
        .withContextPerSequence(256))) {
      assertResumesExactly(engine, "Once upon a time", StreamConfig.defaults().withMaxTokens(80).withTemperature(0.8)
          .withSeed(11L), List.of(5, 40));
    }
  }

  /**
   * A worker that never ran the stream (no cached cells) evaluates every resumed token. Resuming more
   * tokens than llama.cpp's CPU flash attention takes in one row-by-row pass (64) once gave a long
   * greedy stream that drifted from the uninterrupted one at token 190 of 300.
   */
  @Test
  void aLongGreedyStreamResumedOnAColdWorkerContinuesTheUninterruptedOneToTheLastToken() {
    try (LlamaEngine cold = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(512).withPrefixCache(false).withFlashAttention(FlashAttention.ON))) {
      assertResumesExactly(cold, "Once upon a time", StreamConfig.defaults().withMaxTokens(300).withTemperature(0),
          List.of(60, 150));
    }
  }

  @Test
  void refusesAResumeWithNothingLeftOrAnUnknownToken() {
    StreamConfig config = StreamConfig.defaults().withMaxTokens(3);
    assertThatThrownBy(() -> tiny.submit(request("x", config), List.of(65, 66, 67), new RecordingSink()))
        .isInstanceOf(RequestValidationException.class).hasMessageContaining("max_tokens");
    assertThatThrownBy(() -> tiny.submit(request("x", config.withMaxTokens(10)), List.of(65, 1 << 20),
        new RecordingSink()))
        .isInstanceOf(RequestValidationException.class).hasMessageContaining("vocabulary");
  }

  private static void assertResumesExactly(LlamaEngine engine, String prompt, StreamConfig config, List<Integer> splits) {
    RecordingSink whole = new RecordingSink();
    engine.submit(request(prompt, config), whole);
    assertThat(whole.await().finishReason()).isEqualTo(FinishReason.LENGTH);
    List<Integer> ids = whole.tokenIds();
    for (int k : splits) {
      RecordingSink rest = new RecordingSink();
      Generation g = engine.submit(request(prompt, config), ids.subList(0, k), rest);
      assertThat(g.promptTokens()).as("usage counts the prompt proper").isEqualTo(engine.tokenize(prompt, true).length);
      assertThat(rest.await().usage().completionTokens()).isEqualTo(config.maxTokens());
      assertThat(rest.tokens()).extracting(TokenData::index)
          .containsExactlyElementsOf(IntStream.range(k, config.maxTokens()).boxed().toList());
      assertThat(rest.tokenIds()).as("tokens after resuming at %d", k).isEqualTo(ids.subList(k, ids.size()));
      String before = whole.tokens().subList(0, k).stream().map(TokenData::text).reduce("", String::concat);
      assertThat(before + rest.text()).isEqualTo(whole.text());
    }
  }

  private static GenerationRequest request(String prompt, StreamConfig config) {
    return new GenerationRequest("r" + (++counter), prompt, config);
  }
}
