package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** bench compare's tables: every figure next to llama-server's and to llama_decode alone. */
class CompareTableTest {

  @Test
  void throughputIsComparedWithLlamaServerAndWithTheDecodeCeiling() {
    String table = CompareBenchmark.table(List.of(
        new CompareBenchmark.Row(CompareBenchmark.DECODE_ONLY, 4, 8000, Double.NaN, Double.NaN, Double.NaN),
        new CompareBenchmark.Row(CompareBenchmark.LLAMA_SERVER, 0, 0, 2.0, 10.0, 4),
        new CompareBenchmark.Row(CompareBenchmark.LLAMA_SERVER, 4, 4000, 5.0, 6.0, 256),
        new CompareBenchmark.Row(CompareBenchmark.STANDALONE, 0, 0, 2.5, 8.0, 4),
        new CompareBenchmark.Row(CompareBenchmark.STANDALONE, 4, 6000, 4.0, 7.0, 256)));
    assertThat(table).contains("| tokenbus standalone /v1/generate | 2.50 | 8.00 | +0.50 ms | 0.80x |");
    assertThat(table).contains("| tokenbus standalone /v1/generate | 4 | 6,000 | 1.50x | 75% | 256 | 4.00 | 7.00 |");
    assertThat(table).contains("| llama-server /completion | 4 | 4,000 | 1.00x | 50% | 256 | 5.00 | 6.00 |");
    assertThat(table).contains("| llama_decode alone (the ceiling) | 4 | 8,000 | 2.00x | 100% | – | – | – |");
  }
}
