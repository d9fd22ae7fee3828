package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cancelling and timing out during prompt processing. Uses a wider generated model and one
 * 2048-token prompt step, so that the step takes long enough (around a second here) to be
 * interrupted in the middle, through llama.cpp's abort callback.
 */
@Tag("engine")
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

  /** Every prompt here opts out of the prefix cache: the tests are about computing a long prompt. */
  private static String longPrompt() {
    return "the quick brown fox jumps over the lazy dog ".repeat(60); // about 2000 tokens
  }

  @Test
  void cancelDuringALongPromptAbortsTheStepInsteadOfFinishingIt() {
    // How long the whole prompt step takes here, uncancelled: the bound below is a fraction of it,
    // so that the test says "cut short" on a fast machine and a loaded one alike.
    RecordingSink whole = new RecordingSink();
    engine.submit(new GenerationRequest("whole", longPrompt(), StreamConfig.defaults().withCachePrompt(false)
        .withTemperature(0)
        .withMaxTokens(1)), whole);
    long stepMs = Math.round(whole.await(Duration.ofSeconds(30)).timings().promptMs());
    assertThat(stepMs).as("the prompt step is long enough to be cut short").isGreaterThan(100);

    RecordingSink sink = new RecordingSink();
    Generation g = engine.submit(new GenerationRequest("long", longPrompt(),
        StreamConfig.defaults().withCachePrompt(false).withTemperature(0).withMaxTokens(10)), sink);
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
    System.out.println("cancel during a " + stepMs + " ms prompt step ended it after " + ms + " ms");
    assertThat(ms).as("cancel to end, during a prompt step of %d ms", stepMs).isLessThan(Math.max(50, stepMs / 3));
    assertThat(engine.stats().kvCellsUsed()).isZero();
    assertThat(engine.stats().active()).isZero();
  }

  @Test
  void cancellingAPromptMidStepLeavesTheOtherSequencesOfThatStepUntouched() {
    // llama.cpp decodes a step one sequence at a time (each has KV cells of its own) and, when the
    // step is aborted, removes only the cells of the sequence it was on: a bystander whose token it
    // had already decoded must have that undone too, or its redo is refused and it fails.
    int aborted = 0;
    for (int round = 0; round < 4; round++) {
      RecordingSink bystander = new RecordingSink();
      engine.submit(new GenerationRequest("bystander-" + round, "go", StreamConfig.defaults().withCachePrompt(false)
          .withTemperature(0).withMaxTokens(1500)), bystander);
      await().atMost(Duration.ofSeconds(10)).until(() -> bystander.tokens().size() >= 3);
      RecordingSink sink = new RecordingSink();
      Generation g = engine.submit(new GenerationRequest("vanishing-" + round, longPrompt(),
          StreamConfig.defaults().withCachePrompt(false).withTemperature(0).withMaxTokens(10)), sink);
      await().pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(10))
          .until(() -> engine.stats().stepTokens() > g.promptTokens());
      g.cancel();
      GenerationResult cancelled = sink.await(Duration.ofSeconds(10));
      assertThat(cancelled.finishReason()).isEqualTo(FinishReason.CANCELLED);
      if (cancelled.timings().promptTokens() == 0) {
        aborted++; // the step was cut short, not finished
      }
      GenerationResult r = bystander.await(Duration.ofSeconds(60));
      assertThat(r.finishReason()).as("round %d: %s", round, r.error()).isEqualTo(FinishReason.LENGTH);
      assertThat(bystander.tokens()).hasSize(1500);
    }
    assertThat(aborted).as("rounds whose prompt step was aborted mid-way").isPositive();
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.stats().active() == 0);
    assertThat(engine.stats().kvCellsUsed()).isZero();
  }

  @Test
  void timeoutDuringALongPromptEndsIt() {
    RecordingSink sink = new RecordingSink();
    engine.submit(new GenerationRequest("slow", longPrompt(),
        StreamConfig.defaults().withCachePrompt(false).withTemperature(0).withMaxTokens(10).withTimeoutMs(100)), sink);
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
      AtomicReference<Generation> promptGen = new AtomicReference<>();
      AtomicInteger tokensDuringPrompt = new AtomicInteger();
      // Written on the decode thread, which also sets the prompt's state: the count is exact.
      RecordingSink runner = new RecordingSink() {
        @Override
        public void write(TokenData token) {
          Generation g = promptGen.get();
          if (g != null && g.state() == GenerationState.PROMPT) {
            tokensDuringPrompt.incrementAndGet();
          }
          super.write(token);
        }
      };
      chunked.submit(new GenerationRequest("run", "go", StreamConfig.defaults().withCachePrompt(false).withTemperature(0).withMaxTokens(2000)),
          runner);
      await().atMost(Duration.ofSeconds(5)).until(() -> runner.tokens().size() >= 5);
      RecordingSink prompt = new RecordingSink();
      promptGen.set(chunked.submit(new GenerationRequest("p", longPrompt(),
          StreamConfig.defaults().withCachePrompt(false).withTemperature(0).withMaxTokens(1)), prompt));
      prompt.await();
      int chunks = (promptGen.get().promptTokens() + 63) / 64;
      assertThat(runner.ended).as("the runner outlived the prompt").isNotDone();
      // Every prompt step but the last also advanced the runner (the last one's token comes with the prompt's own).
      assertThat(tokensDuringPrompt.get()).isGreaterThanOrEqualTo(chunks - 1);
      runner.await();
    }
  }
}
