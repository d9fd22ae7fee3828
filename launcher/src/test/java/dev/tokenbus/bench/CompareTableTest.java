package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** bench compare's tables: a TTFT table per client style, each against llama-server by the same style; tok/s against llama-server and llama_decode alone. */
class CompareTableTest {

  private static CompareBenchmark.Row ttft(String server, String client, double p50, double p99, double firstByte) {
    return new CompareBenchmark.Row(server, client, 0, 0, p50, p99, firstByte, 4);
  }

  @Test
  void eachClientStyleIsComparedWithLlamaServerMeasuredTheSameWay() {
    String table = CompareBenchmark.table(List.of(
        ttft(CompareBenchmark.LLAMA_SERVER, "raw", 0.5, 1.0, 0.3),
        ttft(CompareBenchmark.STANDALONE, "raw", 1.5, 3.0, 1.4),
        ttft(CompareBenchmark.LLAMA_SERVER, "jdk", 5.0, 8.0, Double.NaN),
        ttft(CompareBenchmark.STANDALONE, "jdk", 4.5, 6.0, Double.NaN)));
    assertThat(table).contains("TTFT, client `raw`:\n\n| server, route | TTFT p50 ms | TTFT p99 ms | p50 − llama-server's"
        + " | p99 / llama-server's | first byte p50 ms |\n|---|---:|---:|---:|---:|---:|\n"
        + "| llama-server /completion | 0.50 | 1.00 | +0.00 ms | 1.00x | 0.30 |\n"
        + "| tokenbus standalone /v1/generate | 1.50 | 3.00 | +1.00 ms | 3.00x | 1.40 |\n");
    assertThat(table).contains("TTFT, client `jdk`:")
        .contains("| tokenbus standalone /v1/generate | 4.50 | 6.00 | -0.50 ms | 0.75x | – |");
    assertThat(table.indexOf("client `raw`")).isLessThan(table.indexOf("client `jdk`"));
  }

  @Test
  void aChatRouteIsComparedWithLlamaServersChatRouteWhenItWasMeasured() {
    List<CompareBenchmark.Row> rows = List.of(
        ttft(CompareBenchmark.LLAMA_SERVER, "raw", 0.5, 1.0, 0.3),
        ttft(CompareBenchmark.LLAMA_SERVER_CHAT, "raw", 0.9, 1.5, 0.3),
        ttft(CompareBenchmark.STANDALONE, "raw", 0.7, 1.2, 0.6),
        ttft(CompareBenchmark.STANDALONE_CHAT, "raw", 1.2, 3.0, 1.1));
    String table = CompareBenchmark.table(rows);
    assertThat(table).contains("| tokenbus standalone /v1/generate | 0.70 | 1.20 | +0.20 ms | 1.20x | 0.60 |")
        .contains("| tokenbus standalone /v1/chat/completions | 1.20 | 3.00 | +0.30 ms | 2.00x | 1.10 |");
    // Without llama-server's chat row (an older run), chat is compared with /completion as before.
    assertThat(CompareBenchmark.table(List.of(rows.get(0), rows.get(3))))
        .contains("| tokenbus standalone /v1/chat/completions | 1.20 | 3.00 | +0.70 ms | 3.00x | 1.10 |");
  }

  @Test
  void throughputIsComparedWithLlamaServerAndWithTheDecodeCeiling() {
    String table = CompareBenchmark.table(List.of(
        new CompareBenchmark.Row(CompareBenchmark.DECODE_ONLY, CompareBenchmark.NO_CLIENT, 4, 8000, Double.NaN,
            Double.NaN, Double.NaN, Double.NaN),
        ttft(CompareBenchmark.LLAMA_SERVER, "raw", 2.0, 10.0, 1.0),
        new CompareBenchmark.Row(CompareBenchmark.LLAMA_SERVER, "raw", 4, 4000, 5.0, 6.0, 1.0, 256),
        ttft(CompareBenchmark.STANDALONE, "raw", 2.5, 8.0, 1.0),
        new CompareBenchmark.Row(CompareBenchmark.STANDALONE, "raw", 4, 6000, 4.0, 7.0, 1.0, 256)));
    assertThat(table).contains("| tokenbus standalone /v1/generate | 2.50 | 8.00 | +0.50 ms | 0.80x | 1.00 |");
    assertThat(table).contains("| tokenbus standalone /v1/generate | raw | 4 | 6,000 | 1.50x | 75% | 256 | 4.00 | 7.00 |");
    assertThat(table).contains("| llama-server /completion | raw | 4 | 4,000 | 1.00x | 50% | 256 | 5.00 | 6.00 |");
    assertThat(table).contains("| llama_decode alone (the ceiling) | – | 4 | 8,000 | 2.00x | 100% | – | – | – |");
  }
}
