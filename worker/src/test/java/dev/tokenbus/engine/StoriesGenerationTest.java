package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Checks that need sensible text: run on the trained stories260K model, skipped when it is absent. */
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
        StreamConfig.defaults().withTemperature(0).withMaxTokens(24)), sink);
    GenerationResult r = sink.await();
    assertThat(sink.text()).startsWith(", there was a little girl named Lily. She loved to play outside in the park.");
    assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(r.usage().promptTokens()).isEqualTo(5); // BOS + [403, 407, 261, 378]
    assertThat(r.usage().completionTokens()).isEqualTo(24);
  }
}
