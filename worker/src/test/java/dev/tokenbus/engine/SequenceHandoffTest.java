package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A running sequence's KV state copied from one engine and adopted by another: the generation
 * resumed there goes on token for token as it would have on the first, for every sampler shape
 * (the sampler is rebuilt by token, without logits), whether the copy was taken while it generated,
 * while its client paused it, or in the middle of its prompt, and whether the first engine went on
 * for a few tokens after the copy. Slots and cells come back on both engines.
 */
@Tag("engine")
class SequenceHandoffTest {

  private static LlamaEngine a;
  private static LlamaEngine b;
  private static int counter;

  @BeforeAll
  static void start() {
    EngineConfig config = EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(512).withPrefillChunk(8);
    a = LlamaEngine.start(config);
    b = LlamaEngine.start(config);
  }

  @AfterAll
  static void stop() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  @AfterEach
  void bothEnginesAreIdle() {
    for (LlamaEngine e : List.of(a, b)) {
      awaitCondition(() -> e.stats().active() == 0 && e.stats().kvCellsUsed() == 0, "engine idle: " + e.stats());
    }
  }

  static List<StreamConfig> samplers() {
    StreamConfig base = StreamConfig.defaults().withMaxTokens(48);
    return List.of(
        base.withTemperature(0),
        base.withTemperature(0.9).withSeed(42L),
        base.withTemperature(0.9), // no seed: the state carries the one engine A chose
        base.withTemperature(1.0).withSeed(7L).withTopK(0).withTopP(0.9),
        base.withTemperature(0.8).withSeed(3L).withPenalties(0.3, 0.5));
  }

  @ParameterizedTest
  @MethodSource("samplers")
  void aSequenceCopiedWhilePausedGoesOnElsewhereAsItWouldHaveHere(StreamConfig config) {
    assertHandsOff(a, b, "once upon a time", config, 17, 0);
  }

  @ParameterizedTest
  @MethodSource("samplers")
  void tokensGeneratedAfterTheCopyArePrefilledByTheAdopter(StreamConfig config) {
    assertHandsOff(a, b, "once upon a time", config, 9, 6);
  }

  /** Handoffs at points drawn at random (seeded; the seed is printed), greedy and sampled. */
  @Test
  void handoffsAtRandomPointsContinueExactly() {
    long seed = Long.getLong("tokenbus.handoff.seed", System.nanoTime());
    System.out.println("SequenceHandoffTest random points: -Dtokenbus.handoff.seed=" + seed);
    java.util.Random rng = new java.util.Random(seed);
    List<StreamConfig> configs = samplers();
    for (int i = 0; i < 6; i++) {
      StreamConfig config = configs.get(rng.nextInt(configs.size()));
      int at = 1 + rng.nextInt(config.maxTokens() - 10);
      int extra = rng.nextInt(5);
      assertHandsOff(a, b, "point " + i, config, at, extra);
    }
  }

  /** A sequence that began from the prefix cache (its prompt's cells reused there) hands off all the same. */
  @Test
  void aSequenceThatHitThePrefixCacheHandsOff() {
    StreamConfig config = StreamConfig.defaults().withMaxTokens(30).withTemperature(0.9).withSeed(77L);
    String prompt = "the same long opening line of a story about a dog and a cat, then";
    RecordingSink warm = new RecordingSink();
    a.submit(request("warm", prompt, config.withMaxTokens(2)), warm);
    warm.await();
    long hits = a.stats().prefixHitTokens();
    assertHandsOff(a, b, prompt, config, 12, 2);
    assertThat(a.stats().prefixHitTokens() - hits).as("the handed-off sequence reused cached cells on A").isPositive();
  }

  @Test
  void aGrammarConstrainedSequenceKeepsItsGrammarState() {
    StreamConfig config = StreamConfig.defaults().withMaxTokens(30).withTemperature(0.7).withSeed(5L)
        .withGrammar("root ::= [a-e ]+");
    assertHandsOff(a, b, "letters:", config, 8, 3);
  }

  @Test
  void aCopyTakenInTheMiddleOfThePromptLeavesTheRestToTheAdopter() {
    String prompt = "once upon a time there was a little girl who lived in a house near the woods and ".repeat(4);
    StreamConfig config = StreamConfig.defaults().withMaxTokens(24).withTemperature(0.8).withSeed(9L);
    RecordingSink whole = new RecordingSink();
    Generation g = a.submit(request("mid", prompt, config), whole);
    SequenceState state = copyWhenRunning(a, g);
    int promptTokens = a.tokenize(prompt, true).length;
    try (state) {
      assertThat(state.tokens().length).as("cells copied mid-prompt").isBetween(1, promptTokens - 1);
      Adoption adoption = b.reserveAdoption("mid", state.tokens().length);
      adoption.adopt(state.tokens(), state.seed(), state.kv(), 10_000).toCompletableFuture().join();
    }
    assertThat(whole.await().finishReason()).isEqualTo(FinishReason.LENGTH);
    RecordingSink rest = new RecordingSink();
    b.submit(request("mid", prompt, config.withSeed(null)), List.of(), rest);
    assertThat(rest.await().finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(rest.tokenIds()).isEqualTo(whole.tokenIds());
    assertThat(rest.await().usage().cachedTokens()).as("prompt cells taken from the adopted state")
        .isEqualTo(state.tokens().length);
  }

  @Test
  void onATrainedModelTheTextIsIdentical() {
    Path stories = TestModels.stories260k();
    EngineConfig config = EngineConfig.forModel(stories).withThreads(1).withSlots(1).withContextPerSequence(256);
    try (LlamaEngine sa = LlamaEngine.start(config); LlamaEngine sb = LlamaEngine.start(config)) {
      assertHandsOff(sa, sb, "Once upon a time", StreamConfig.defaults().withMaxTokens(80).withTemperature(0.8)
          .withSeed(11L), 30, 4);
      assertHandsOff(sa, sb, "Once upon a time", StreamConfig.defaults().withMaxTokens(80).withTemperature(0), 50, 0);
    }
  }

  @Test
  void anUnclaimedStateGivesItsSlotBackAndStaysAsAPrefix() {
    StreamConfig config = StreamConfig.defaults().withMaxTokens(20).withTemperature(0);
    RecordingSink first = new RecordingSink().pauseAfter(5);
    Generation g = a.submit(request("gone", "once upon a time", config), first);
    awaitCondition(() -> g.state() == GenerationState.PAUSED, "paused");
    try (SequenceState state = a.copyState(g).toCompletableFuture().join()) {
      b.reserveAdoption("gone", state.tokens().length).adopt(state.tokens(), state.seed(), state.kv(), 50)
          .toCompletableFuture().join();
      assertThat(b.stats().freeSlots()).as("the pin holds a slot").isEqualTo(1);
    }
    g.cancel();
    first.await();
    awaitCondition(() -> b.stats().freeSlots() == 2, "pin expired");
    assertThat(b.stats().kvCellsCached()).as("the adopted cells stay for the prefix cache").isPositive();
  }

  @Test
  void aRefusedStateReleasesItsSlot() {
    Adoption adoption = b.reserveAdoption("bad", 4);
    awaitCondition(() -> b.stats().freeSlots() == 1, "the reservation counts as a taken slot");
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment garbage = arena.allocate(64);
      garbage.fill((byte) 0x5a);
      assertThatThrownBy(() -> adoption.adopt(new int[] {1, 2, 3, 4}, 1, garbage, 10_000).toCompletableFuture().join())
          .isInstanceOf(CompletionException.class);
    }
    awaitCondition(() -> b.stats().freeSlots() == 2, "slot released");
    b.reserveAdoption("unused", 4).release();
    awaitCondition(() -> b.stats().freeSlots() == 2, "released");
    assertThatThrownBy(() -> b.reserveAdoption("huge", 100_000)).isInstanceOf(AdmissionException.class);
  }

  /**
   * Runs {@code prompt} on {@code from}, pausing it after {@code at} tokens; copies its state there,
   * lets it run {@code extra} more tokens, then adopts the copy on {@code to} and resumes there
   * after the {@code at + extra} tokens streamed; the resumed tokens must be those {@code from}
   * goes on to produce when let run to the end.
   */
  private static void assertHandsOff(LlamaEngine from, LlamaEngine to, String prompt, StreamConfig config, int at,
      int extra) {
    String id = "h" + (++counter);
    RecordingSink whole = new RecordingSink().pauseAfter(at);
    Generation g = from.submit(request(id, prompt, config), whole);
    awaitCondition(() -> g.state() == GenerationState.PAUSED, "paused after " + at);
    SequenceState state = from.copyState(g).toCompletableFuture().join();
    try (state) {
      assertThat(state.tokens().length).isEqualTo(from.tokenize(prompt, true).length + at - 1);
      assertThat(state.bytes()).isPositive().isLessThanOrEqualTo(to.maxStateBytes(state.tokens().length));
      whole.pauseAfter(at + extra);
      whole.setFull(false);
      if (extra > 0) {
        awaitCondition(() -> whole.tokens.size() >= at + extra && g.state() == GenerationState.PAUSED, "paused again");
      }
      Adoption adoption = to.reserveAdoption(id, state.tokens().length);
      adoption.adopt(state.tokens(), state.seed(), state.kv(), 10_000).toCompletableFuture().join();
    }
    whole.resume();
    assertThat(whole.await().finishReason()).isEqualTo(FinishReason.LENGTH);
    List<Integer> ids = whole.tokenIds();
    int k = at + extra;
    RecordingSink rest = new RecordingSink();
    // The resuming request is the one the gateway sends: without the seed engine A chose for it.
    to.submit(request(id, prompt, config), ids.subList(0, k), rest);
    assertThat(rest.await().finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(rest.tokens()).extracting(TokenData::index)
        .containsExactlyElementsOf(IntStream.range(k, config.maxTokens()).boxed().toList());
    assertThat(rest.tokenIds()).as("tokens after the handoff at %d (+%d)", at, extra).isEqualTo(ids.subList(k, ids.size()));
    String before = whole.tokens.subList(0, k).stream().map(TokenData::text).reduce("", String::concat);
    assertThat(before + rest.text()).isEqualTo(whole.text());
    assertThat(rest.await().timings().promptTokens()).as("only the tokens after the copy are computed")
        .isEqualTo(extra + 1);
  }

  private static SequenceState copyWhenRunning(LlamaEngine engine, Generation g) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return engine.copyState(g).toCompletableFuture().join();
      } catch (CompletionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.onSpinWait();
      }
    }
  }

  private static void awaitCondition(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static GenerationRequest request(String id, String prompt, StreamConfig config) {
    return new GenerationRequest(id, prompt, config);
  }
}
