package dev.tokenbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code timeout_ms} 0 means no deadline: accepted, never reached, and kept when a stream moves or resumes. */
class StreamConfigTimeoutTest {

  @Test
  void zeroIsAcceptedAndNegativeIsNot() {
    assertThat(StreamConfig.defaults().withTimeoutMs(0).validate().hasTimeout()).isFalse();
    assertThatThrownBy(() -> StreamConfig.defaults().withTimeoutMs(-1).validate())
        .isInstanceOf(RequestValidationException.class).hasMessageContaining("timeout_ms");
  }

  @Test
  void noTimeoutsDeadlineLiesBeyondAnyRunAndComparesWithoutOverflow() {
    long now = System.nanoTime();
    long deadline = StreamConfig.defaults().withTimeoutMs(0).deadlineNanos(now);
    long inAHundredDays = now + TimeUnit.DAYS.toNanos(100);
    assertThat(inAHundredDays - deadline).isNegative(); // the "now - deadline >= 0" test never fires
    assertThat(StreamConfig.defaults().withTimeoutMs(500).deadlineNanos(now)).isEqualTo(now + 500_000_000L);
  }

  @Test
  void theRestOfAStreamKeepsNoTimeoutOrGetsWhatIsLeft() {
    long now = System.nanoTime();
    StreamConfig none = StreamConfig.defaults().withTimeoutMs(0);
    assertThat(none.withRemainingTimeout(none.deadlineNanos(now), now + TimeUnit.HOURS.toNanos(1)).timeoutMs())
        .isZero();
    StreamConfig timed = StreamConfig.defaults().withTimeoutMs(10_000);
    long deadline = timed.deadlineNanos(now);
    assertThat(timed.withRemainingTimeout(deadline, now + TimeUnit.SECONDS.toNanos(4)).timeoutMs()).isEqualTo(6000);
    assertThat(timed.withRemainingTimeout(deadline, deadline + 1).timeoutMs()).isEqualTo(1); // at least 1 ms
  }
}
