package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.TopLogprob;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code logit_bias} and prompts given as token ids, on the generated tiny model with the real
 * llama.cpp (run on both llama.cpp releases): a bias bans and forces tokens on every sampling path
 * (greedy, top-k over the scan's candidates, the full chain, with a grammar), logprobs are the
 * model's before the bias, ids outside the vocabulary are a 400.
 */
@Tag("engine")
class RequestFieldsEngineTest {

  private static LlamaEngine engine;
  private static int counter;

  @BeforeAll
  static void start() {
    engine = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(512));
  }

  @AfterAll
  static void stop() {
    if (engine != null) {
      engine.close();
    }
  }

  @AfterEach
  void nothingLeftRunning() {
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.stats().active() == 0);
  }

  private static RecordingSink run(GenerationRequest request) {
    RecordingSink sink = new RecordingSink();
    engine.submit(request, sink);
    sink.await();
    return sink;
  }

  private static RecordingSink run(StreamConfig config) {
    return run(new GenerationRequest("b" + (++counter), "the cat sat on", config));
  }

  private static StreamConfig greedy() {
    return StreamConfig.defaults().withTemperature(0).withMaxTokens(24);
  }

  /** Every token that {@code config} generates without a bias is banned, on each path: none comes back. */
  private static void banningWhatWasGeneratedChangesTheText(StreamConfig config) {
    List<Integer> free = run(config).tokenIds();
    Map<Integer, Double> ban = new HashMap<>();
    free.forEach(t -> ban.put(t, -100.0));
    List<Integer> banned = run(config.withLogitBias(ban)).tokenIds();
    assertThat(banned).as("tokens generated with every earlier token banned").isNotEmpty()
        .doesNotContainAnyElementsOf(free);
  }

  @Test
  void minusOneHundredBansATokenOnTheGreedyPath() {
    banningWhatWasGeneratedChangesTheText(greedy());
  }

  @Test
  void minusOneHundredBansATokenOnTheTopKPath() {
    banningWhatWasGeneratedChangesTheText(StreamConfig.defaults().withTemperature(1).withTopK(40).withSeed(5L)
        .withMaxTokens(24));
  }

  @Test
  void minusOneHundredBansATokenOnTheFullChainWithPenaltiesAndWithAGrammar() {
    banningWhatWasGeneratedChangesTheText(StreamConfig.defaults().withTemperature(0.9).withTopK(0).withSeed(5L)
        .withRepeatPenalty(1.2).withMaxTokens(24));
    // A grammar of lowercase words: the bias applies to what the grammar allows.
    banningWhatWasGeneratedChangesTheText(greedy().withGrammar("root ::= [a-z ]+"));
  }

  @Test
  void plusOneHundredForcesATokenAndLogprobsAreTheModelsBeforeTheBias() {
    RecordingSink free = run(greedy().withMaxTokens(1).withTopLogprobs(5));
    TopLogprob runnerUp = free.tokens().getFirst().topLogprobs().get(1);
    List<TokenData> forced = run(greedy().withMaxTokens(6).withTopLogprobs(5)
        .withLogitBias(Map.of(runnerUp.tokenId(), 100.0))).tokens();
    assertThat(forced).extracting(TokenData::tokenId).containsOnly(runnerUp.tokenId());
    // The first forced token is reported with the probability the model gave it, not ~1.
    assertThat(forced.getFirst().logprob()).isCloseTo(runnerUp.logprob(), org.assertj.core.data.Offset.offset(1e-4));
    assertThat(forced.getFirst().topLogprobs().getFirst().tokenId())
        .isEqualTo(free.tokens().getFirst().tokenId());
  }

  @Test
  void aSmallBiasOnlyShiftsTheDistribution() {
    StreamConfig sampled = StreamConfig.defaults().withTemperature(1).withSeed(11L).withMaxTokens(24);
    List<Integer> free = run(sampled).tokenIds();
    // A bias of zero changes nothing, and the picker's shortcut and llama.cpp's chain agree on it.
    assertThat(run(sampled.withLogitBias(Map.of(free.getFirst(), 0.0))).tokenIds()).isEqualTo(free);
  }

  @Test
  void tokenIdsOutsideTheVocabularyAreRefusedNamingTheField() {
    int vocab = engine.model().vocabSize();
    assertThatThrownBy(() -> engine.submit(new GenerationRequest("v" + (++counter), "x",
        greedy().withLogitBias(Map.of(0, 1.0, vocab + 5, -100.0, 1, 2.0))), new RecordingSink()))
        .isInstanceOf(RequestValidationException.class).hasMessageContaining("outside this model's vocabulary")
        .hasMessageContaining("token id " + (vocab + 5))
        .satisfies(e -> assertThat(((RequestValidationException) e).param()).isEqualTo("logit_bias"));
    assertThatThrownBy(() -> engine.submit(GenerationRequest.tokens("v" + (++counter), List.of(1, vocab), greedy()),
        new RecordingSink()))
        .isInstanceOf(RequestValidationException.class).hasMessageContaining("token id " + vocab)
        .satisfies(e -> assertThat(((RequestValidationException) e).param()).isEqualTo("prompt"));
    assertThat(engine.stats().active()).isZero();
  }

  @Test
  void aPromptGivenAsTokenIdsContinuesAsItsTextDoes() {
    int[] ids = engine.tokenize("the cat sat on", true, false);
    List<Integer> asText = run(greedy()).tokenIds();
    RecordingSink asTokens = run(GenerationRequest.tokens("k" + (++counter),
        IntStream.of(ids).boxed().toList(), greedy()));
    assertThat(asTokens.tokenIds()).isEqualTo(asText);
    assertThat(asTokens.await().usage().promptTokens()).isEqualTo(ids.length);
  }
}
