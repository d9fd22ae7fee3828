package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import dev.tokenbus.engine.llama.LlamaReleases;
import dev.tokenbus.engine.llama.Pooling;
import dev.tokenbus.protocol.RequestValidationException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Embeddings on the real engine over the generated tiny model: shape, norm, determinism, batching,
 * pooling. Run on both releases: on b4916, which computes none, only that the engine offers none.
 */
@Tag("engine")
class EmbeddingsEngineTest {

  private static final int CONTEXT = 128;
  private static LlamaEngine engine;
  private static Embedder embedder;

  @BeforeAll
  static void start() {
    engine = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(CONTEXT));
    embedder = engine.embedder().orElse(null);
  }

  /** Whether the engine runs on the current release (the one that computes embeddings). */
  private static boolean current() {
    return engine.llamaProfile() == LlamaReleases.current();
  }

  @BeforeEach
  void onTheCurrentRelease(TestInfo test) {
    if (!test.getTestMethod().orElseThrow().getName().equals("onlyTheCurrentReleaseComputesEmbeddings")) {
      assumeTrue(current(), "llama.cpp " + engine.llamaProfile() + " computes no embeddings");
    }
  }

  @Test
  void onlyTheCurrentReleaseComputesEmbeddings() {
    assertThat(engine.embedder().isPresent()).as("embeddings on llama.cpp " + engine.llamaProfile())
        .isEqualTo(current());
  }

  @AfterAll
  static void stop() {
    engine.close();
  }

  private static float[][] embed(Embedder e, String... texts) throws Exception {
    List<int[]> inputs = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      inputs.add(e.tokenize(texts[i], "input[" + i + "]"));
    }
    return e.embed(inputs).get(60, TimeUnit.SECONDS);
  }

  private static double norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += (double) x * x;
    }
    return Math.sqrt(s);
  }

  @Test
  void vectorsHaveTheModelsWidthAndUnitLength() throws Exception {
    assertThat(embedder.dimensions()).isEqualTo(TinyLlamaModel.Spec.defaults().embd());
    assertThat(embedder.pooling()).as("the tiny model declares no pooling: mean").isEqualTo(Pooling.MEAN);
    float[][] v = embed(embedder, "hello world", "a second, longer input of several words");
    assertThat(v).hasNumberOfRows(2);
    for (float[] row : v) {
      assertThat(row).hasSize(embedder.dimensions());
      assertThat(norm(row)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    }
  }

  @Test
  void identicalInputsGiveIdenticalVectorsAndDifferentInputsDiffer() throws Exception {
    float[] a = embed(embedder, "the cat sat on the mat")[0];
    float[] again = embed(embedder, "the cat sat on the mat")[0];
    float[] b = embed(embedder, "quantum chromodynamics, gluons!")[0];
    assertThat(again).containsExactly(a);
    assertThat(b).isNotEqualTo(a);
  }

  @Test
  void aBatchOfInputsEqualsEachEmbeddedAlone() throws Exception {
    String[] texts = {"one", "two words", "three words here", "and a fourth input, longer than the rest of them"};
    float[][] batch = embed(embedder, texts);
    for (int i = 0; i < texts.length; i++) {
      float[] single = embed(embedder, texts[i])[0];
      assertThat(batch[i]).as("input %d", i).containsExactly(single, org.assertj.core.data.Offset.offset(1e-4f));
    }
  }

  @Test
  void moreInputsThanOneDecodeTakesAreSplitAcrossDecodes() throws Exception {
    List<int[]> inputs = new ArrayList<>();
    for (int i = 0; i < LlamaEmbedder.SEQUENCES * 2 + 3; i++) {
      inputs.add(embedder.tokenize("input number " + i + " " + "x".repeat(i), "input"));
    }
    float[][] all = embedder.embed(inputs).get(60, TimeUnit.SECONDS);
    assertThat(all).hasNumberOfRows(inputs.size());
    float[] last = embedder.embed(List.of(inputs.getLast())).get(60, TimeUnit.SECONDS)[0];
    assertThat(all[inputs.size() - 1]).containsExactly(last, org.assertj.core.data.Offset.offset(1e-4f));
  }

  @Test
  void poolingsGiveDifferentVectors() throws Exception {
    String text = "pooling decides which hidden states count";
    float[] mean = embed(embedder, text)[0];
    for (Pooling p : List.of(Pooling.CLS, Pooling.LAST)) {
      try (LlamaEngine other = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1)
          .withSlots(1).withContextPerSequence(CONTEXT).withPooling(p))) {
        Embedder e = other.embedder().orElseThrow();
        assertThat(e.pooling()).isEqualTo(p);
        float[] v = embed(e, text)[0];
        assertThat(norm(v)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(v).as(p + " vs mean").isNotEqualTo(mean);
      }
    }
  }

  @Test
  void theGgufFilesPoolingIsTakenUnlessTheWorkerSetsOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path declaresCls = dir.resolve("cls.gguf");
    TinyLlamaModel.writer(TinyLlamaModel.Spec.defaults()).putU32("llama.pooling_type", Pooling.CLS.llamaType())
        .writeTo(declaresCls);
    String text = "the file says how to pool";
    float[] configuredCls;
    try (LlamaEngine configured = LlamaEngine.start(EngineConfig.forModel(TestModels.tiny()).withThreads(1)
        .withSlots(1).withContextPerSequence(CONTEXT).withPooling(Pooling.CLS))) {
      configuredCls = embed(configured.embedder().orElseThrow(), text)[0];
    }
    try (LlamaEngine own = LlamaEngine.start(EngineConfig.forModel(declaresCls).withThreads(1).withSlots(1)
        .withContextPerSequence(CONTEXT))) {
      Embedder e = own.embedder().orElseThrow();
      assertThat(e.pooling()).isEqualTo(Pooling.CLS);
      assertThat(embed(e, text)[0]).containsExactly(configuredCls, org.assertj.core.data.Offset.offset(1e-5f));
    }
    try (LlamaEngine overridden = LlamaEngine.start(EngineConfig.forModel(declaresCls).withThreads(1).withSlots(1)
        .withContextPerSequence(CONTEXT).withPooling(Pooling.MEAN))) {
      Embedder e = overridden.embedder().orElseThrow();
      assertThat(e.pooling()).isEqualTo(Pooling.MEAN);
      assertThat(embed(e, text)[0]).containsExactly(embed(embedder, text)[0], org.assertj.core.data.Offset.offset(1e-5f));
    }
  }

  @Test
  void tooLongEmptyAndOutOfVocabularyInputsAreRefused() {
    int[] tooMany = new int[embedder.maxTokens() + 1];
    assertThatThrownBy(() -> embedder.check(tooMany, "input[0]")).isInstanceOf(RequestValidationException.class)
        .hasMessageContaining("more than the " + embedder.maxTokens() + " tokens");
    assertThatThrownBy(() -> embedder.tokenize("word ".repeat(CONTEXT * 2), "input[1]"))
        .isInstanceOf(RequestValidationException.class).hasMessageContaining("input[1]");
    assertThatThrownBy(() -> embedder.tokenize("", "input[2]")).isInstanceOf(RequestValidationException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> embedder.check(new int[0], "input[3]")).isInstanceOf(RequestValidationException.class);
    assertThatThrownBy(() -> embedder.check(new int[] {1, engine.model().vocabSize()}, "input[4]"))
        .isInstanceOf(RequestValidationException.class).hasMessageContaining("vocabulary");
  }

  @Test
  void aFullQueueRefusesMoreRequestsAndEveryAcceptedOneIsAnswered() throws Exception {
    // One long request keeps the embedding thread busy while more arrive than the queue holds.
    List<int[]> long_ = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      long_.add(embedder.tokenize("a long request, input " + i + ", " + "words ".repeat(10), "input"));
    }
    List<java.util.concurrent.CompletableFuture<float[][]>> accepted = new ArrayList<>();
    accepted.add(embedder.embed(long_));
    int refused = 0;
    int acceptedBeforeARefusal = -1;
    for (int i = 0; i < LlamaEmbedder.QUEUE * 4; i++) {
      try {
        accepted.add(embedder.embed(List.of(embedder.tokenize("queued " + i, "input"))));
      } catch (AdmissionException e) {
        assertThat(e.reason()).isEqualTo(AdmissionException.Reason.NO_FREE_SLOT);
        assertThat(e.getMessage()).contains("queue is full");
        if (refused++ == 0) {
          acceptedBeforeARefusal = accepted.size();
        }
      }
    }
    assertThat(refused).as("requests refused while the queue was full").isPositive();
    assertThat(acceptedBeforeARefusal).as("requests taken before the first refusal: the queue's size at least")
        .isGreaterThanOrEqualTo(LlamaEmbedder.QUEUE);
    for (var f : accepted) {
      assertThat(f.get(120, TimeUnit.SECONDS)).isNotEmpty();
    }
    embed(embedder, "the queue drained: accepted again");
  }

  @Test
  void theSimulatedEngineComputesNoEmbeddings() {
    try (SimulatedEngine sim = SimulatedEngine.start(new SimulatedEngine.Config(1, 64, 1, 1, 1000, false))) {
      assertThat(sim.embedder()).isEmpty();
    }
  }
}
