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
  void aSummarySaysWhereTheSamplesWentByThreadAndByWhatTheEventLoopDid() throws Exception {
    Path collapsed = dir.resolve("p.collapsed");
    java.nio.file.Files.writeString(collapsed, String.join("\n",
        "[vert.x-eventloop-thread-0 tid=7];io/netty/channel/epoll/AbstractEpollStreamChannel.doWrite;writev 30",
        "[vert.x-eventloop-thread-0 tid=7];io/netty/handler/ssl/SslHandler.wrap;SSL_write 10",
        "[vert.x-eventloop-thread-0 tid=7];io/netty/channel/epoll/Native.epollWait;epoll_wait 5",
        "[vert.x-eventloop-thread-0 tid=7];dev/tokenbus/flow/TokenStream.onTokens 15",
        "[C2 CompilerThread0 tid=9];C2Compiler::compile_method 20",
        "[G1 Conc#0 tid=3];G1ConcurrentMark::mark 8",
        "[GC Thread#1 tid=4];G1ParEvacuateFollowersClosure 2",
        "[hz.dev.cached.thread-1 tid=40];com/hazelcast/Foo.bar 6",
        "[Notification Thread tid=12];wait 4", ""));

    WindowProfiler.Summary s = WindowProfiler.Summary.of(collapsed);

    assertThat(s.samples()).isEqualTo(100);
    assertThat(s.threads()).containsExactly(java.util.Map.entry("event loop", 60L), java.util.Map.entry("JIT", 20L),
        java.util.Map.entry("GC", 10L), java.util.Map.entry("Hazelcast", 6L), java.util.Map.entry("other", 4L));
    assertThat(s.eventLoop()).containsEntry("socket write", 30L).containsEntry("TLS", 10L)
        .containsEntry("epoll_wait", 5L).containsEntry("socket read", 0L).containsEntry("Java and other", 15L);
    assertThat(s.line()).isEqualTo("100 samples: event loop 60.0% (socket write 30.0%, TLS 10.0%, socket read 0.0%,"
        + " epoll_wait 5.0%, Java and other 15.0%), JIT 20.0%, GC 10.0%, Hazelcast 6.0%, other 4.0%");
  }

  @Test
  void theNewestVersionInTheRepositoryIsTakenByItsNumbers() {
    assertThat(WindowProfiler.versionOrder("4.10", "4.9")).isPositive();
    assertThat(WindowProfiler.versionOrder("4.2", "4.2.1")).isNegative();
    assertThat(WindowProfiler.versionOrder("3.0", "3.0")).isZero();
  }
}
