package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.cli.TokenbusCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench scale}'s machinery on its smallest point: a gateway process, one simulated worker
 * process, 20 streams over TLS for a 3 s window. Every figure of the row comes from what the nodes
 * and the client saw: the gateway's dispatch histogram counted exactly the probe streams opened
 * during the window (not the 20 streams' nor the warm-up's), the client received tokens at every stream, the worker announced itself to the
 * gateway, and the charts were written. With {@code Floor.ONLY}, the floor server alone: no cluster,
 * one row whose figures are the server's and the client's, and none of a cluster's; sampled by
 * async-profiler over its window (on Linux x86-64, with the test dependency's library).
 */
@Tag("cluster")
class ScaleBenchmarkTest {

  private static final int STREAMS = 20;
  private static final int ITL_MS = 100;

  @TempDir
  Path dir;

  /** Where the test dependency's async-profiler runs: its linux-x64 library, on Linux x86-64. */
  private static final boolean PROFILABLE = System.getProperty("os.name").equals("Linux")
      && System.getProperty("os.arch").equals("amd64");

  /** Whether this kernel reports threads' run-queue waits (Linux with schedstats). */
  private static final boolean SCHEDSTATS = Files.exists(java.nio.file.Path.of("/proc/self/schedstat"));

  @Test
  void aTinyPointReportsEveryFigureFromWhatTheNodesAndTheClientSaw() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    var options = new ScaleBenchmark.Options(List.of(1), List.of(1), List.of(STREAMS), List.of(), List.of(true), 3,
        ITL_MS, 20, 1000, 200, 0, false, ScaleBenchmark.Floor.OFF, List.of(), List.of(),
        List.of("-XX:+UseSerialGC") /* the workers start with flags of their own */, NodeLauncher.classPath(TokenbusCommand.class), dir.resolve("logs"),
        dir.resolve("svg"), null, dir.resolve("dispatch"));
    long started = System.nanoTime();
    List<ScaleBenchmark.Row> rows = new ScaleBenchmark(options, new PrintStream(printed, true, StandardCharsets.UTF_8))
        .run();
    String out = printed.toString(StandardCharsets.UTF_8);
    // Every dispatch of the run (warm-up, streams, probes) stamped by the gateway and by the worker.
    DispatchSplit split = DispatchSplit.read(dir.resolve("dispatch"), started, System.nanoTime());
    assertThat(split.dispatches()).as(split.line()).isGreaterThanOrEqualTo(STREAMS);
    assertThat(split.unmatched()).as(split.line()).isZero();
    for (DispatchSplit.Hop hop : List.of(split.gateway(), split.there(), split.worker(), split.back())) {
      assertThat(hop.p50Ms()).as(split.line()).isGreaterThanOrEqualTo(0);
      assertThat(hop.maxMs()).as(split.line()).isLessThanOrEqualTo(split.total().maxMs());
    }
    assertThat(split.there().p50Ms()).as("a bus leg takes time: " + split.line()).isPositive();
    assertThat(split.back().p50Ms()).as("a bus leg takes time: " + split.line()).isPositive();

    assertThat(rows).hasSize(1);
    ScaleBenchmark.Row r = rows.getFirst();
    assertThat(r.problem()).as(out).isNull();
    assertThat(r.failed()).isZero();
    // The probes opened during the window, one every 50 ms from its start: all but the last few are accepted before its end.
    assertThat(r.dispatched()).as("the gateway's histogram counted each probe opened in the window, once")
        .isBetween(ScaleBenchmark.PROBES_PER_SECOND * 3L - 3, ScaleBenchmark.PROBES_PER_SECOND * 3L);
    assertThat(r.dispatchP50Ms()).isPositive();
    assertThat(r.dispatchP99Ms()).isGreaterThanOrEqualTo(r.dispatchP50Ms());
    assertThat(r.tokens()).as(out).isPositive();
    assertThat(r.seconds()).isGreaterThanOrEqualTo(3);
    assertThat(r.cpuPerKiloToken()).isPositive();
    assertThat(r.heapPerStreamBytes()).isFinite();
    assertThat(r.addedItlP50Ms()).isFinite().isGreaterThan(-ITL_MS);
    assertThat(r.addedItlP99Ms()).isGreaterThanOrEqualTo(r.addedItlP50Ms());
    assertThat(r.busBytesPerToken()).as("every token crossed the bus").isPositive();
    assertThat(r.busMessagesPerToken()).isPositive();
    assertThat(r.hzOpsPerSecond()).as("Hazelcast's count is exported").isPositive();
    assertThat(r.joinMs()).isPositive();
    assertThat(r.statusPerSecond()).as("the worker announces itself").isPositive();
    assertThat(r.statusBytesPerSecond()).isGreaterThan(r.statusPerSecond() * 10);
    // GC pauses are counted from each JVM's own figures (none may have paused in 3 s: counts, not sizes).
    assertThat(r.gatewayGc().count()).isNotNegative();
    assertThat(r.gatewayGc().totalMs()).isFinite().isNotNegative();
    assertThat(r.workerGc().totalMs()).isFinite().isNotNegative();
    assertThat(r.clientGc().totalMs()).isFinite().isNotNegative();
    if (SCHEDSTATS) {
      assertThat(r.gatewayLoopWaitMsPerSecond()).as("the relay loop's run-queue wait").isFinite().isNotNegative();
    }
    assertThat(out).contains(ScaleBenchmark.header()).contains("| TLS | 1 | 1 | " + STREAMS + " | " + ITL_MS + " |");
    assertThat(Files.readString(dir.resolve("svg/heap-per-stream-vs-streams.svg"))).startsWith("<svg")
        .contains("TLS G=1 W=1");
  }

  @Test
  void theFloorAloneIsMeasuredWithTheSameClientAndNoCluster() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    var options = new ScaleBenchmark.Options(List.of(1), List.of(1), List.of(STREAMS), List.of(16), List.of(true), 2,
        ITL_MS, 20, 1000, 0, 0, false, ScaleBenchmark.Floor.ONLY, List.of(), List.of(), List.of(), NodeLauncher.classPath(TokenbusCommand.class),
        dir.resolve("logs"), null, PROFILABLE ? WindowProfiler.of(null, dir.resolve("profiles"), "wall") : null, null);
    List<ScaleBenchmark.Row> rows = new ScaleBenchmark(options, new PrintStream(printed, true, StandardCharsets.UTF_8))
        .run();
    String out = printed.toString(StandardCharsets.UTF_8);

    assertThat(rows).as("one floor row, no cluster's and no fast row").hasSize(1);
    ScaleBenchmark.Row r = rows.getFirst();
    assertThat(r.floor()).isTrue();
    assertThat(r.problem()).as(out).isNull();
    // 20 streams at 100 ms over a 2 s window: about 400 tokens, every one of them read by the client.
    assertThat(r.tokens()).as(out).isBetween(STREAMS * 2000L / ITL_MS * 8 / 10, STREAMS * 2000L / ITL_MS * 12 / 10);
    assertThat(r.addedItlP50Ms()).isFinite().isGreaterThan(-ITL_MS);
    assertThat(r.addedItlP99Ms()).isGreaterThanOrEqualTo(r.addedItlP50Ms());
    assertThat(r.gatewayCpuPercent()).as("the server's CPU").isPositive();
    assertThat(r.gatewayGc().totalMs()).as("the server's GC pauses").isFinite().isNotNegative();
    if (SCHEDSTATS) {
      assertThat(r.gatewayLoopWaitMsPerSecond()).as("the server loop's run-queue wait").isFinite().isNotNegative();
    }
    assertThat(r.heapPerStreamBytes()).isFinite();
    assertThat(r.dispatchP50Ms()).as("no dispatch").isNaN();
    assertThat(r.workerGc().totalMs()).as("no worker").isNaN();
    assertThat(Files.exists(dir.resolve("logs"))).isTrue();
    assertThat(out).contains("| floor | 1 | 0 | " + STREAMS + " | " + ITL_MS + " |");
    if (PROFILABLE) {
      // Sampled over the window in the server's process: its event loop, as a thread of its own.
      Path collapsed = dir.resolve("profiles").resolve("floor-N" + STREAMS + ".wall.collapsed");
      assertThat(Files.readString(collapsed)).contains("[vert.x-eventloop-thread-");
      assertThat(Files.readString(dir.resolve("profiles").resolve("floor-N" + STREAMS + ".wall.html")))
          .contains("<html");
    }
  }
}
