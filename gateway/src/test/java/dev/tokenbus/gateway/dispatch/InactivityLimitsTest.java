package dev.tokenbus.gateway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link InactivityLimits}: the configured limit on a clean link, twice the longest recent gap on a
 * link that holds frames back, capped, per worker, and back to the configured limit once the long
 * gaps are old.
 */
class InactivityLimitsTest {

  private static final long BASE_MS = 1200;
  private final InactivityLimits limits = new InactivityLimits(BASE_MS);
  private final long t0 = System.nanoTime();

  private static long ms(long ms) {
    return TimeUnit.MILLISECONDS.toNanos(ms);
  }

  @Test
  void aWorkerWithHeartbeatGapsOnlyHasTheConfiguredLimit() {
    assertThat(limits.limitNanos("a", t0)).as("never heard of").isEqualTo(ms(BASE_MS));
    for (int i = 1; i <= 20; i++) {
      limits.gap("a", ms(i % 2 == 0 ? 2 : 400), t0 + ms(i * 200));
    }
    assertThat(limits.limitNanos("a", t0 + ms(4000))).isEqualTo(ms(BASE_MS));
  }

  @Test
  void aLinkThatHeldFramesBackGetsTwiceItsLongestGapUpToTheCap() {
    limits.gap("a", ms(300), t0);
    limits.gap("a", ms(900), t0 + ms(1000)); // a segment retransmitted twice (200 + 400 ms) after a heartbeat
    limits.gap("a", ms(5), t0 + ms(1100));
    assertThat(limits.limitNanos("a", t0 + ms(1200))).isEqualTo(ms(1800));
    assertThat(limits.limitNanos("b", t0 + ms(1200))).as("per worker: b's link is clean").isEqualTo(ms(BASE_MS));
    limits.gap("a", ms(4000), t0 + ms(6000));
    assertThat(limits.limitNanos("a", t0 + ms(6000))).as("capped, so that a dead worker is still found")
        .isEqualTo(ms(InactivityLimits.MAX_FACTOR * BASE_MS));
  }

  @Test
  void longGapsCountForOneToTwoWindows() {
    long window = TimeUnit.SECONDS.toNanos(InactivityLimits.WINDOW_S);
    limits.gap("a", ms(1000), t0);
    assertThat(limits.limitNanos("a", t0 + window + ms(10))).as("still in the window before").isEqualTo(ms(2000));
    limits.gap("a", ms(300), t0 + window + ms(20));
    assertThat(limits.limitNanos("a", t0 + 2 * window + ms(30))).as("two windows old").isEqualTo(ms(BASE_MS));
  }
}
