package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Reading a node's /metrics: sums over series, and a histogram's percentiles between two scrapes. */
class PrometheusTextTest {

  private static final String BEFORE = """
      # HELP tokenbus_dispatch_latency_seconds Time to OPEN accepted
      # TYPE tokenbus_dispatch_latency_seconds histogram
      tokenbus_dispatch_latency_seconds_bucket{le="0.001"} 10.0
      tokenbus_dispatch_latency_seconds_bucket{le="0.002"} 10.0
      tokenbus_dispatch_latency_seconds_bucket{le="0.005"} 10.0
      tokenbus_dispatch_latency_seconds_bucket{le="+Inf"} 10.0
      tokenbus_dispatch_latency_seconds_count 10.0
      jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 1000.0
      jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 24.0
      jvm_memory_used_bytes{area="nonheap",id="Metaspace"} 5000.0
      vertx_eventbus_bytes_read_sum 6274.0 1700000000000
      """;

  private static final String AFTER = """
      tokenbus_dispatch_latency_seconds_bucket{le="0.001"} 60.0
      tokenbus_dispatch_latency_seconds_bucket{le="0.002"} 100.0
      tokenbus_dispatch_latency_seconds_bucket{le="0.005"} 108.0
      tokenbus_dispatch_latency_seconds_bucket{le="+Inf"} 110.0
      """;

  @Test
  void sumsTheSeriesOfAMetricWhoseLabelsMatch() {
    PrometheusText t = PrometheusText.parse(BEFORE);
    assertThat(t.sum("jvm_memory_used_bytes", "area=\"heap\"")).isEqualTo(1024.0);
    assertThat(t.sum("jvm_memory_used_bytes")).isEqualTo(6024.0);
    assertThat(t.sum("vertx_eventbus_bytes_read_sum")).as("a timestamp after the value is not the value")
        .isEqualTo(6274.0);
    assertThat(t.sum("absent")).isZero();
    assertThat(t.has("tokenbus_dispatch_latency_seconds_count")).isTrue();
    assertThat(t.plus(t).sum("jvm_memory_used_bytes", "area=\"heap\"")).isEqualTo(2048.0);
  }

  @Test
  void percentilesOfWhatWasRecordedBetweenTwoScrapesInterpolateWithinTheBucket() {
    var between = PrometheusText.parse(AFTER).buckets("tokenbus_dispatch_latency_seconds")
        .minus(PrometheusText.parse(BEFORE).buckets("tokenbus_dispatch_latency_seconds"));
    assertThat(between.count()).isEqualTo(100.0);
    // 50 at or below 1 ms, 40 in (1, 2] ms, 8 in (2, 5] ms, 2 above.
    assertThat(between.percentile(50)).isCloseTo(0.001, within(1e-12));
    assertThat(between.percentile(25)).as("half way into the first bucket, from 0").isCloseTo(0.0005, within(1e-12));
    assertThat(between.percentile(70)).as("half way into (1, 2] ms").isCloseTo(0.0015, within(1e-12));
    assertThat(between.percentile(94)).as("half way into (2, 5] ms").isCloseTo(0.0035, within(1e-12));
    assertThat(between.percentile(99)).as("in +Inf: the largest finite bound").isEqualTo(0.005);
  }

  @Test
  void noObservationsHaveNoPercentile() {
    var none = PrometheusText.parse(BEFORE).buckets("tokenbus_dispatch_latency_seconds")
        .minus(PrometheusText.parse(BEFORE).buckets("tokenbus_dispatch_latency_seconds"));
    assertThat(none.count()).isZero();
    assertThat(none.percentile(50)).isNaN();
    assertThat(PrometheusText.parse("").buckets("x").percentile(99)).isNaN();
  }
}
