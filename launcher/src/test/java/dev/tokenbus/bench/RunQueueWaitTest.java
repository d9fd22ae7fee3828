package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RunQueueWaitTest {

  @Test
  void theBusiestEventLoopIsTheOneThatRanAndItsWaitIsCounted() throws Exception {
    assumeTrue(Files.exists(Path.of("/proc/self/schedstat")), "no schedstats here (not Linux, or not enabled)");
    long pid = ProcessHandle.current().pid();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      CountDownLatch started = new CountDownLatch(1);
      vertx.runOnContext(v -> started.countDown()); // the event-loop thread exists before the first sample
      assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
      RunQueueWait.Sample idle = RunQueueWait.Sample.of(pid);
      // One event loop spins for 300 ms: it is the busiest, and its figures are read back.
      CountDownLatch done = new CountDownLatch(1);
      vertx.runOnContext(v -> {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        while (System.nanoTime() < end) {
          Thread.onSpinWait();
        }
        done.countDown();
      });
      assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
      RunQueueWait.Sample after = RunQueueWait.Sample.of(pid);
      assertThat(after.threads()).isNotEmpty();
      Map.Entry<Long, long[]> busiest = after.threads().entrySet().stream()
          .filter(e -> idle.threads().containsKey(e.getKey()))
          .max((a, b) -> Long.compare(a.getValue()[0] - idle.threads().get(a.getKey())[0],
              b.getValue()[0] - idle.threads().get(b.getKey())[0])).orElseThrow();
      long ranNanos = busiest.getValue()[0] - idle.threads().get(busiest.getKey())[0];
      assertThat(ranNanos).as("the spinning loop's CPU time").isGreaterThan(TimeUnit.MILLISECONDS.toNanos(100));
      double waitMsPerS = RunQueueWait.busiestLoopMsPerSecond(idle, after, 1.0);
      assertThat(waitMsPerS).isFinite().isGreaterThanOrEqualTo(0);
      assertThat(RunQueueWait.busiestLoopMsPerSecond(RunQueueWait.Sample.NONE, after, 1.0)).isNaN();
    } finally {
      vertx.close().await();
    }
  }
}
