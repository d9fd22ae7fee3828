package dev.tokenbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code seed} as any 64-bit integer, and {@code logit_bias}'s bounds. */
class StreamConfigFieldsTest {

  @Test
  void aSeedOfMinusOneIsRandomAndEveryOther64BitSeedFoldsIntoLlamaCppsRange() {
    assertThat(StreamConfig.seedOf(-1)).isNull();
    assertThat(StreamConfig.seedOf(0)).isZero();
    assertThat(StreamConfig.seedOf(42)).isEqualTo(42);
    assertThat(StreamConfig.seedOf(4_294_967_294L)).isEqualTo(4_294_967_294L);
    assertThat(StreamConfig.seedOf(4_294_967_295L)).isZero();
    assertThat(StreamConfig.seedOf(4_294_967_296L)).isEqualTo(1);
    assertThat(StreamConfig.seedOf(-2)).isEqualTo(4_294_967_293L);
    for (long seed : new long[] {Long.MIN_VALUE, Long.MAX_VALUE, Integer.MIN_VALUE, -4_294_967_295L, 123_456_789_012L}) {
      Long folded = StreamConfig.seedOf(seed);
      assertThat(folded).as("seed %d", seed).isBetween(0L, StreamConfig.MAX_SEED);
      assertThat(StreamConfig.defaults().withSeed(folded).validate().seed()).isEqualTo(folded);
    }
  }

  @Test
  void logitBiasIsSortedByTokenAndChecked() {
    StreamConfig c = StreamConfig.defaults().withLogitBias(Map.of(436, -100.0, 2, 100.0, 7, 0.5)).validate();
    assertThat(c.logitBias().keySet()).containsExactly(2, 7, 436);
    assertThat(StreamConfig.defaults().logitBias()).isEmpty();

    assertRefused(Map.of(1, 100.5), "values must be numbers between -100 and 100");
    assertRefused(Map.of(1, -101.0), "values must be numbers between -100 and 100");
    assertRefused(Map.of(1, Double.NaN), "values must be numbers between -100 and 100");
    assertRefused(Map.of(1, Double.NEGATIVE_INFINITY), "values must be numbers between -100 and 100");
    assertRefused(Map.of(-1, 1.0), "keys must be token ids");
    Map<Integer, Double> many = new HashMap<>();
    for (int i = 0; i <= StreamConfig.MAX_LOGIT_BIAS; i++) {
      many.put(i, 1.0);
    }
    assertRefused(many, "at most 1024 tokens");
    many.remove(0);
    assertThat(StreamConfig.defaults().withLogitBias(many).validate().logitBias()).hasSize(StreamConfig.MAX_LOGIT_BIAS);
  }

  private static void assertRefused(Map<Integer, Double> bias, String message) {
    assertThatThrownBy(() -> StreamConfig.defaults().withLogitBias(bias).validate())
        .isInstanceOf(RequestValidationException.class).hasMessageContaining(message)
        .satisfies(e -> assertThat(((RequestValidationException) e).param()).isEqualTo("logit_bias"));
  }
}
