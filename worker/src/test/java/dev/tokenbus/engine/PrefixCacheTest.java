package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The prefix cache on the real engine: a prompt sharing leading tokens with a finished sequence
 * reuses that sequence's KV cells and prefills only the rest, and its output is exactly that of a
 * cold run ({@code cache_prompt: false}) of the same prompt.
 */
@Tag("engine")
class PrefixCacheTest {

  private static final String STORY = "Once upon a time there was a little girl named Lily. She liked to play"
      + " outside in the park with her friends. One day she saw a big red ball under a tree.";

  private static LlamaEngine stories;
  private static int counter;

  @BeforeAll
  static void start() {
    stories = LlamaEngine.start(EngineConfig.forModel(TestModels.stories260k()).withThreads(1).withSlots(2)
        .withContextPerSequence(512));
  }

  @AfterAll
  static void stop() {
    if (stories != null) {
      stories.close();
    }
  }

  @AfterEach
  void nothingHeld() {
    await().atMost(Duration.ofSeconds(10)).until(() -> stories.stats().active() == 0);
    assertThat(stories.stats().kvCellsUsed()).as("cells held by running sequences").isZero();
  }

  private static StreamConfig greedy(int maxTokens) {
    return StreamConfig.defaults().withTemperature(0).withMaxTokens(maxTokens);
  }

  private static RecordingSink run(LlamaEngine engine, String prompt, StreamConfig config) {
    return run(engine, prompt, List.of(), config);
  }

  private static RecordingSink run(LlamaEngine engine, String prompt, List<Integer> resume, StreamConfig config) {
    RecordingSink sink = new RecordingSink();
    engine.submit(new GenerationRequest("p" + (++counter), prompt, config), resume, sink);
    sink.await(Duration.ofSeconds(60));
    return sink;
  }

  /** Runs {@code prompt} cold and then with the cache; asserts equal output and returns the cached run. */
  private static GenerationResult sameAsCold(String prompt, StreamConfig config) {
    RecordingSink cold = run(stories, prompt, config.withCachePrompt(false));
    assertThat(cold.await().usage().cachedTokens()).isZero();
    RecordingSink warm = run(stories, prompt, config);
    assertThat(warm.tokenIds()).as("tokens of %s with the cache", prompt).isEqualTo(cold.tokenIds());
    assertThat(warm.text()).isEqualTo(cold.text());
    return warm.await();
  }

  private static void clearCache() {
    // cache_prompt false frees the slot it ran in: holding every slot with such runs empties the cache.
    List<RecordingSink> sinks = new java.util.ArrayList<>();
    List<Generation> held = new java.util.ArrayList<>();
    for (int i = 0; i < stories.stats().slots(); i++) {
      RecordingSink sink = new RecordingSink().pauseAfter(1);
      sinks.add(sink);
      held.add(stories.submit(new GenerationRequest("x" + (++counter), "x", greedy(50).withCachePrompt(false)), sink));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> held.stream().allMatch(g -> g.state() == GenerationState.PAUSED));
    held.forEach(Generation::cancel);
    sinks.forEach(RecordingSink::await);
    await().atMost(Duration.ofSeconds(10)).until(() -> stories.stats().active() == 0);
    assertThat(stories.stats().kvCellsCached()).isZero();
  }

  @Test
  void aSecondTurnReusesThePreviousPromptAndReply() {
    clearCache();
    RecordingSink first = run(stories, STORY, greedy(30));
    GenerationResult r1 = first.await();
    assertThat(r1.usage().cachedTokens()).isZero();
    assertThat(stories.stats().kvCellsCached()).as("the finished turn's cells stay")
        .isEqualTo(r1.usage().promptTokens() + r1.usage().completionTokens() - 1);

    String second = STORY + first.text() + " Then she went home.";
    GenerationResult r2 = sameAsCold(second, greedy(30));
    // The cold run took the other slot; the warm one found the first turn's cells.
    int previous = r1.usage().promptTokens() + r1.usage().completionTokens() - 1;
    assertThat(r2.usage().cachedTokens()).as("cached tokens of the second turn")
        .isGreaterThanOrEqualTo(previous - 2).isLessThan(r2.usage().promptTokens());
    assertThat(r2.timings().promptTokens()).as("prompt tokens computed")
        .isEqualTo(r2.usage().promptTokens() - r2.usage().cachedTokens());
  }

  @Test
  void anExactRepeatRecomputesOnlyTheLastToken() {
    clearCache();
    run(stories, STORY, greedy(20));
    GenerationResult r = sameAsCold(STORY, greedy(20));
    assertThat(r.usage().cachedTokens()).isEqualTo(r.usage().promptTokens() - 1);
  }

  @Test
  void aShorterPromptAndOneEndingMidTokenRunReuseWhatTheyShare() {
    clearCache();
    run(stories, STORY, greedy(20));
    // Cut in the middle of a word: the last shared token differs from the cached one there.
    String shorter = STORY.substring(0, STORY.indexOf("under") + 3);
    GenerationResult r = sameAsCold(shorter, greedy(20));
    assertThat(r.usage().cachedTokens()).isPositive().isLessThan(r.usage().promptTokens());

    run(stories, STORY, greedy(1));
    String otherEnding = STORY.substring(0, STORY.indexOf("a big red")) + "a bigger blue box.";
    GenerationResult o = sameAsCold(otherEnding, greedy(20));
    assertThat(o.usage().cachedTokens()).isPositive().isLessThan(o.usage().promptTokens());
  }

  @Test
  void aSeededSampledGenerationIsTheSameWithTheCache() {
    clearCache();
    StreamConfig seeded = StreamConfig.defaults().withTemperature(0.9).withSeed(5L).withMaxTokens(30);
    run(stories, STORY, seeded);
    GenerationResult r = sameAsCold(STORY + " The ball", seeded);
    assertThat(r.usage().cachedTokens()).isPositive();
    StreamConfig penalised = seeded.withPenalties(0.3, 0.4);
    run(stories, STORY, penalised);
    assertThat(sameAsCold(STORY + " The ball", penalised).usage().cachedTokens()).isPositive();
  }

  @Test
  void aResumedStreamReusesTheCachedPromptAndContinuesExactly() {
    clearCache();
    for (StreamConfig config : List.of(greedy(40), StreamConfig.defaults().withTemperature(0.8).withSeed(9L)
        .withMaxTokens(40))) {
      RecordingSink whole = run(stories, STORY, config.withCachePrompt(false));
      List<Integer> ids = whole.tokenIds();
      run(stories, STORY, greedy(1)); // leaves the prompt's cells cached
      RecordingSink rest = run(stories, STORY, ids.subList(0, 15), config);
      assertThat(rest.tokenIds()).isEqualTo(ids.subList(15, ids.size()));
      GenerationResult r = rest.await();
      assertThat(r.usage().cachedTokens()).as("the prompt came from the cache")
          .isGreaterThanOrEqualTo(r.usage().promptTokens() - 1);
    }
  }

  @Test
  void aCancelledOrTimedOutSequenceLeavesItsCellsAndAnOptedOutOneFreesThem() {
    clearCache();
    RecordingSink paused = new RecordingSink().pauseAfter(5);
    Generation g = stories.submit(new GenerationRequest("c" + (++counter), STORY, greedy(100)), paused);
    await().atMost(Duration.ofSeconds(30)).until(() -> g.state() == GenerationState.PAUSED);
    g.cancel();
    assertThat(paused.await().finishReason()).isEqualTo(FinishReason.CANCELLED);
    await().atMost(Duration.ofSeconds(10)).until(() -> stories.stats().active() == 0);
    assertThat(stories.stats().kvCellsCached()).isGreaterThanOrEqualTo(g.promptTokens());
    assertThat(sameAsCold(STORY + " She", greedy(10)).usage().cachedTokens())
        .isGreaterThanOrEqualTo(g.promptTokens() - 1);

    RecordingSink slow = run(stories, STORY, greedy(100_000).withTimeoutMs(300).withStreamDelayMs(50));
    assertThat(slow.await().finishReason()).isEqualTo(FinishReason.TIMEOUT);
    await().atMost(Duration.ofSeconds(10)).until(() -> stories.stats().active() == 0);
    assertThat(run(stories, STORY, greedy(5)).await().usage().cachedTokens()).isPositive();

    clearCache();
    run(stories, STORY, greedy(5).withCachePrompt(false));
    assertThat(stories.stats().kvCellsCached()).isZero();
  }

  @Test
  void twoConversationsKeepTheirOwnSlots() {
    clearCache();
    RecordingSink a = run(stories, "Tom had a dog.", greedy(15));
    RecordingSink b = run(stories, "The sun was hot and bright.", greedy(15));
    GenerationResult a2 = run(stories, "Tom had a dog." + a.text() + " Tom", greedy(10)).await();
    GenerationResult b2 = run(stories, "The sun was hot and bright." + b.text() + " The", greedy(10)).await();
    assertThat(a2.usage().cachedTokens()).isGreaterThanOrEqualTo(a.await().usage().promptTokens());
    assertThat(b2.usage().cachedTokens()).isGreaterThanOrEqualTo(b.await().usage().promptTokens());
    assertThat(stories.stats().prefixHitTokens()).isPositive().isLessThan(stories.stats().prefixQueryTokens());
  }

  @Test
  void aWorkerWithTheCacheOffReusesNothing() {
    try (LlamaEngine off = LlamaEngine.start(EngineConfig.forModel(TestModels.stories260k()).withThreads(1)
        .withSlots(1).withContextPerSequence(256).withPrefixCache(false))) {
      run(off, STORY, greedy(5));
      assertThat(off.stats().kvCellsCached()).isZero();
      assertThat(run(off, STORY, greedy(5)).await().usage().cachedTokens()).isZero();
      assertThat(off.stats().prefixHitTokens()).isZero();
      assertThat(off.stats().kvCellsUsed()).isZero();
    }
  }
}
