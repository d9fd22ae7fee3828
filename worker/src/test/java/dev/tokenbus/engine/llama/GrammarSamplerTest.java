package dev.tokenbus.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.engine.TestModels;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code llama_sampler_init_grammar} behind the profile seam: a GBNF grammar stage confines what the
 * real model can generate (on the profile this run drives: v0.5.0, or b4916 in the second pass).
 */
@Tag("engine")
class GrammarSamplerTest {

  private static final String GRAMMAR = "root ::= \"ab\" [0-9] [0-9] [0-9] \"!\"";
  private static final String MATCH = "ab[0-9]{3}!";
  private static NativeModel model;

  @BeforeAll
  static void load() {
    model = Llama.open(null, null).loadModel(TestModels.tiny(), 0);
  }

  @AfterAll
  static void free() {
    if (model != null) {
      model.close();
    }
  }

  private static NativeSampler.Settings settings(float temperature, long seed) {
    return new NativeSampler.Settings(temperature, 0, 1f, 0f, seed, 1f, 64, 0f, 0f);
  }

  /** Decodes a prompt, then samples {@code tokens} tokens with the sampler the function builds. */
  private static String generate(Function<NativeContext, NativeSampler> samplerFor, int tokens) {
    try (NativeContext ctx = NativeContext.create(model, new NativeContext.Params(256, 64, 64, 1, 1, 1, FlashAttention.AUTO), () -> false);
        NativeBatch batch = new NativeBatch(ctx, 64);
        NativeSampler sampler = samplerFor.apply(ctx)) {
      int[] prompt = model.tokenize("the answer is", true, false);
      for (int i = 0; i < prompt.length; i++) {
        batch.add(prompt[i], i, 0, i == prompt.length - 1);
      }
      assertThat(ctx.decode(batch)).isZero();
      int row = prompt.length - 1;
      ByteArrayOutputStream text = new ByteArrayOutputStream();
      for (int k = 0; k < tokens; k++) {
        int token = sampler.sample(ctx, row);
        text.writeBytes(model.pieceBytes(token));
        batch.clear();
        batch.add(token, prompt.length + k, 0, true);
        assertThat(ctx.decode(batch)).isZero();
        row = 0;
      }
      return text.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void greedyOutputFollowsTheGrammar() {
    String free = generate(ctx -> NativeSampler.full(ctx, settings(0f, 1)), 6);
    assertThat(free).as("the unconstrained model").doesNotMatch(MATCH);
    String constrained = generate(ctx -> NativeSampler.withGrammar(ctx, settings(0f, 1), GRAMMAR, "root"), 6);
    assertThat(constrained).matches(MATCH);
  }

  @Test
  void sampledOutputFollowsTheGrammar() {
    for (long seed = 1; seed <= 5; seed++) {
      long s = seed;
      assertThat(generate(ctx -> NativeSampler.withGrammar(ctx, settings(1.0f, s), GRAMMAR, "root"), 6))
          .as("seed %d", seed).matches(MATCH);
    }
  }

  @Test
  void aGrammarThatDoesNotParseIsRefused() {
    assertThatThrownBy(() -> generate(ctx -> NativeSampler.withGrammar(ctx, settings(0f, 1), "root ::= (", "root"), 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grammar");
  }
}
