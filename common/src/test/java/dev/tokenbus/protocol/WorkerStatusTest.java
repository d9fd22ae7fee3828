package dev.tokenbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** What makes a worker announce before its next heartbeat. */
class WorkerStatusTest {

  private static WorkerStatus status(int active, int running, int paused, int prompt, int kvUsed, boolean draining,
      Set<Long> blocks, long sequence) {
    return new WorkerStatus("w", "n", "m", 8, active, running, paused, prompt, kvUsed, 1024, 128, draining, sequence,
        blocks, "f", true, 0);
  }

  @Test
  void loadFiguresThatOnlyMoveAreNoNewsButWhatDispatchReadsIs() {
    WorkerStatus last = status(3, 2, 1, 0, 300, false, Set.of(1L), 7);
    assertThat(status(3, 2, 1, 0, 300, false, Set.of(1L), 8).newsSince(last)).isFalse();
    // Sequences stepping: running, paused, prompt and KV cells move, but none becomes or stops being zero.
    assertThat(status(3, 3, 2, 1, 1, false, Set.of(1L), 8).newsSince(status(3, 1, 1, 2, 900, false, Set.of(1L), 7)))
        .isFalse();
    // What dispatch reads.
    assertThat(status(4, 2, 1, 0, 300, false, Set.of(1L), 8).newsSince(last)).isTrue();
    assertThat(status(3, 2, 1, 0, 300, true, Set.of(1L), 8).newsSince(last)).isTrue();
    assertThat(status(3, 2, 1, 0, 300, false, Set.of(1L, 2L), 8).newsSince(last)).isTrue();
    // A load figure that reaches or leaves zero: an idle worker is shown idle at once.
    assertThat(status(3, 0, 1, 0, 300, false, Set.of(1L), 8).newsSince(last)).isTrue();
    assertThat(status(3, 2, 0, 0, 300, false, Set.of(1L), 8).newsSince(last)).isTrue();
    assertThat(status(3, 2, 1, 4, 300, false, Set.of(1L), 8).newsSince(last)).isTrue();
    assertThat(status(3, 2, 1, 0, 0, false, Set.of(1L), 8).newsSince(last)).isTrue();
    assertThat(last.newsSince(null)).isTrue();
  }
}
