package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cancelling and timing out during prompt processing. Uses a wider generated model and one
 * 2048-token prompt step, so that the step takes long enough (around a second here) to be
 * interrupted in the middle, through llama.cpp's abort callback.
 */
class PromptAbortTest {

  private static final TinyLlamaModel.Spec WIDE =
      TinyLlamaModel.Spec.defaults().withLayers(4).withEmbd(256).withHeads(8, 4).withFf(1024).withContextLength(4096)
          .withF16Matrices(true);
  private static LlamaEngine engine;

  @BeforeAll
  static void start() {
    engine = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny(WIDE)).withThreads(1).withSlots(2)
        .withContextPerSequence(2048).withBatch(2048, 512).withPrefillChunk(2048));
  }

  @AfterAll
  static void stop() {
    if (engine != null) {
      engine.close();
    }
  }

  private static String longPrompt() {
    return "the quick brown fox jumps over the lazy dog ".repeat(60); // about 2000 tokens
  }

  @Test
  void cancelDuringALongPromptAbortsWithin50ms() {
    RecordingSink sink = new RecordingSink();
    Generation g = engine.submit(new GenerationRequest("long", longPrompt(),
        StreamConfig.defaults().withTemperature(0).withMaxTokens(10)), sink);
    assertThat(g.promptTokens()).isGreaterThan(1500);
    // Wait until the decode step holding the prompt is running.
    await().pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(10))
        .until(() -> engine.stats().stepTokens() >= g.promptTokens());
    long t0 = System.nanoTime();
    g.cancel();
    GenerationResult r = sink.await(Duration.ofSeconds(10));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(r.timings().promptTokens()).as("the step was rolled back, not finished").isZero();
    assertThat(ms).as("cancel to end, during a prompt step").isLessThanOrEqualTo(50);
    assertThat(engine.stats().kvCellsUsed()).isZero();
    assertThat(engine.stats().active()).isZero();
  }

  @Test
  void timeoutDuringALongPromptEndsIt() {
    RecordingSink sink = new RecordingSink();
    engine.submit(new GenerationRequest("slow", longPrompt(),
        StreamConfig.defaults().withTemperature(0).withMaxTokens(10).withTimeoutMs(100)), sink);
    long t0 = System.nanoTime();
    GenerationResult r = sink.await(Duration.ofSeconds(10));
    assertThat(r.finishReason()).isEqualTo(FinishReason.TIMEOUT);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(400);
    assertThat(engine.stats().kvCellsUsed()).isZero();
  }

  @Test
  void aLongPromptSharesStepsWithARunningSequence() {
    // With prompts cut into chunks, a running sequence keeps producing while a long prompt is processed.
    try (LlamaEngine chunked = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(2048).withBatch(512, 512).withPrefillChunk(64))) {
      RecordingSink runner = new RecordingSink();
      chunked.submit(new GenerationRequest("run", "go", StreamConfig.defaults().withTemperature(0).withMaxTokens(1000)),
          runner);
      await().atMost(Duration.ofSeconds(5)).until(() -> runner.tokens().size() >= 5);
      RecordingSink prompt = new RecordingSink();
      Generation g = chunked.submit(new GenerationRequest("p", longPrompt(),
          StreamConfig.defaults().withTemperature(0).withMaxTokens(1)), prompt);
      int before = runner.tokens().size();
      prompt.await();
      int during = runner.tokens().size() - before;
      // ceil(prompt / 64) steps of prompt processing, each of which also advanced the runner.
      assertThat(during).isGreaterThanOrEqualTo(g.promptTokens() / 64);
      runner.await();
    }
  }
}
