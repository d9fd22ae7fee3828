package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Grammar-constrained sampling in the engine: every sampler shape keeps to the grammar, greedy picks
 * the most likely allowed token, batching, pausing and resuming keep each sequence's grammar state,
 * and a grammar llama.cpp cannot parse is a request error, never a crash.
 */
@Tag("engine")
class GrammarSamplingTest {

  /** A small JSON object: {"name": "<letters>", "age": <digits>, "happy": true|false}. */
  static final String PERSON = """
      root ::= "{\\"name\\": \\"" [a-zA-Z ]{1,20} "\\", \\"age\\": " [0-9]{1,3} ", \\"happy\\": " ("true" | "false") "}"
      """;
  static final Pattern PERSON_TEXT = Pattern.compile(
      "\\{\"name\": \"[a-zA-Z ]{1,20}\", \"age\": [0-9]{1,3}, \"happy\": (true|false)}");

  private static LlamaEngine tiny;
  private static int counter;

  @BeforeAll
  static void start() {
    tiny = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4)
        .withContextPerSequence(256));
  }

  @AfterAll
  static void stop() {
    if (tiny != null) {
      tiny.close();
    }
  }

  static List<StreamConfig> samplers() {
    StreamConfig base = StreamConfig.defaults().withMaxTokens(120).withGrammar(PERSON);
    return List.of(
        base.withTemperature(0),
        base.withTemperature(1.5).withSeed(42L).withTopK(5),
        base.withTemperature(2.0).withSeed(7L).withTopK(0).withTopP(1.0),
        base.withTemperature(1.0).withSeed(3L).withPenalties(0.3, 0.5),
        base.withTemperature(1.2).withSeed(9L).withTopK(128).withMinP(0.01));
  }

  @Test
  void everySamplerShapeKeepsToTheGrammarAndStopsWhenItIsComplete() {
    for (LlamaEngine engine : engines()) {
      for (StreamConfig c : samplers()) {
        for (long seed = 1; seed <= (c.temperature() == 0 ? 1 : 4); seed++) {
          StreamConfig config = c.temperature() == 0 ? c : c.withSeed(seed * 1000 + c.seed());
          RecordingSink sink = run(engine, "Once upon a time", config);
          assertThat(sink.text()).as("%s", config).matches(PERSON_TEXT);
          assertThat(sink.await().finishReason()).isEqualTo(FinishReason.STOP);
        }
      }
    }
  }

  @Test
  void greedyPicksTheMostLikelyAllowedToken() {
    LlamaEngine stories = storiesOrSkip();
    try {
      StreamConfig greedy = StreamConfig.defaults().withTemperature(0).withMaxTokens(40);
      String free = run(stories, "Once upon a time", greedy).text();
      // A grammar that allows what greedy picks anyway changes nothing...
      assertThat(run(stories, "Once upon a time", greedy.withGrammar("root ::= [ -~]*")).text()).isEqualTo(free);
      // ...and one that forbids "girl" makes it take the grammar's word, then end.
      RecordingSink forced = run(stories, "Once upon a time",
          greedy.withGrammar("root ::= \", there was a little \" (\"boy\" | \"dog\") \".\""));
      assertThat(forced.text()).isIn(", there was a little boy.", ", there was a little dog.");
      assertThat(forced.await().finishReason()).isEqualTo(FinishReason.STOP);
    } finally {
      stories.close();
    }
  }

  @Test
  void batchedGrammarSequencesMatchTheirSoloRuns() {
    List<StreamConfig> configs = samplers();
    List<String> solo = new ArrayList<>();
    for (StreamConfig c : configs) {
      solo.add(run(tiny, "hello", c).text());
    }
    List<RecordingSink> together = new ArrayList<>();
    for (StreamConfig c : configs.subList(0, 4)) {
      RecordingSink s = new RecordingSink().pauseAfter(3); // paused mid-grammar, then resumed
      tiny.submit(request("hello", c), s);
      together.add(s);
    }
    for (int i = 0; i < together.size(); i++) {
      RecordingSink s = together.get(i);
      org.awaitility.Awaitility.await().until(() -> s.tokens().size() >= 3 || s.ended.isDone());
      s.resume();
      s.await();
      assertThat(s.text()).as("sampler %d", i).isEqualTo(solo.get(i));
    }
  }

  @Test
  void aResumedGenerationReacceptsItsTokensIntoTheGrammar() {
    for (StreamConfig c : samplers()) {
      RecordingSink whole = run(tiny, "once", c);
      List<Integer> ids = whole.tokenIds();
      for (int k : List.of(1, ids.size() / 2, ids.size() - 2)) {
        RecordingSink rest = new RecordingSink();
        tiny.submit(request("once", c), ids.subList(0, k), rest);
        assertThat(rest.await().finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(rest.tokenIds()).as("%s resumed at %d", c, k).isEqualTo(ids.subList(k, ids.size()));
        String before = whole.tokens().subList(0, k).stream().map(TokenData::text).reduce("", String::concat);
        assertThat(before + rest.text()).matches(PERSON_TEXT);
      }
    }
  }

  @Test
  void aResumedTokenTheGrammarForbidsEndsThatGenerationOnly() {
    RecordingSink rest = new RecordingSink();
    int z = tiny.tokenize("z", false)[0];
    tiny.submit(request("once", samplers().get(0)), List.of(z), rest);
    GenerationResult r = rest.await();
    assertThat(r.finishReason()).isEqualTo(FinishReason.ERROR);
    assertThat(r.error()).contains("grammar");
    assertThat(run(tiny, "once", samplers().get(0)).text()).matches(PERSON_TEXT);
  }

  @Test
  void aGrammarLlamaCppCannotParseIsARequestErrorNotACrash() {
    List<String> invalid = List.of(
        "root ::= \"unterminated",
        "root ::= undefined-rule",
        "start ::= \"no root rule\"",
        "root ::= root \"x\"",
        "root ::= [a-",
        "root ::= (\"a\" | ",
        "::=",
        "root ::= \"\\xZZ\"");
    for (String g : invalid) {
      RequestValidationException refused = org.junit.jupiter.api.Assertions.assertThrows(
          RequestValidationException.class,
          () -> tiny.submit(request("hi", StreamConfig.defaults().withGrammar(g)), new RecordingSink()), g);
      assertThat(refused.param()).isEqualTo("grammar");
    }
    assertThat(tiny.stats().active()).isZero();
    assertThat(run(tiny, "hi", samplers().get(1)).text()).matches(PERSON_TEXT);
  }

  @Test
  void aGrammarSpellsCharactersThroughByteTokens() {
    RecordingSink sink = run(tiny, "hi", StreamConfig.defaults().withTemperature(0).withGrammar("root ::= \"\\u2603\""));
    // The tiny vocabulary has no snowman piece: the grammar must let its three UTF-8 byte tokens through.
    assertThat(sink.text()).isEqualTo("\u2603");
  }

  private static List<LlamaEngine> engines() {
    List<LlamaEngine> engines = new ArrayList<>(List.of(tiny));
    if (java.nio.file.Files.isRegularFile(TestModels.sharedModels().resolve("stories260K.gguf"))) {
      engines.add(storiesShared());
    }
    return engines;
  }

  private static LlamaEngine stories;

  private static synchronized LlamaEngine storiesShared() {
    if (stories == null) {
      stories = storiesOrSkip();
    }
    return stories;
  }

  @AfterAll
  static void stopStories() {
    if (stories != null) {
      stories.close();
    }
  }

  private static LlamaEngine storiesOrSkip() {
    return LlamaEngine.start(EngineConfig.forModel(TestModels.stories260k()).withThreads(1).withSlots(2)
        .withContextPerSequence(256));
  }

  private static RecordingSink run(LlamaEngine engine, String prompt, StreamConfig config) {
    RecordingSink sink = new RecordingSink();
    engine.submit(request(prompt, config), sink);
    sink.await();
    return sink;
  }

  private static GenerationRequest request(String prompt, StreamConfig config) {
    return new GenerationRequest("g" + (++counter), prompt, config);
  }
}
