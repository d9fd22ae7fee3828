package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench scale --profile}'s checks before anything starts; the sampling itself is in {@link ScaleBenchmarkTest}. */
class WindowProfilerTest {

  @TempDir
  Path dir;

  @Test
  void anUnknownEventOrAMissingLibraryIsRefusedWithWhatIsWrong() {
    assertThatThrownBy(() -> WindowProfiler.of(dir.resolve("lib.so"), dir, "cycles"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("profile-event must be one of")
        .hasMessageContaining("'cycles'");
    assertThatThrownBy(() -> WindowProfiler.of(dir.resolve("lib.so"), dir, "cpu"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lib.so is not a file");
  }

  @Test
  void theNewestVersionInTheRepositoryIsTakenByItsNumbers() {
    assertThat(WindowProfiler.versionOrder("4.10", "4.9")).isPositive();
    assertThat(WindowProfiler.versionOrder("4.2", "4.2.1")).isNegative();
    assertThat(WindowProfiler.versionOrder("3.0", "3.0")).isZero();
  }
}
