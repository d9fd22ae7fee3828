package dev.tokenbus.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DispatchSplitTest {

  @TempDir
  Path dir;

  @Test
  void aGatewayLineJoinsItsWorkerLineIntoFourHops() throws Exception {
    // Taken at 1 ms, OPEN sent at 1.1, handled by the worker at 1.5, replied at 1.7, ACCEPT at 2.0.
    Files.writeString(dir.resolve("100.txt"), "gateway s1 1000000 1100000 2000000\n");
    Files.writeString(dir.resolve("200.txt"), "worker s1 1500000 1700000\n");
    DispatchSplit split = DispatchSplit.read(dir, 0, 10_000_000);
    assertEquals(1, split.dispatches());
    assertEquals(0, split.unmatched());
    assertEquals(0.1, split.gateway().p50Ms(), 1e-9);
    assertEquals(0.4, split.there().p50Ms(), 1e-9);
    assertEquals(0.2, split.worker().p50Ms(), 1e-9);
    assertEquals(0.3, split.back().p50Ms(), 1e-9);
    assertEquals(1.0, split.total().p99Ms(), 1e-9);
    assertTrue(split.line().startsWith("1 dispatches (0 without a worker line)"), split.line());
  }

  @Test
  void onlyTheWindowsDispatchesCountAndALineCutShortIsSkipped() throws Exception {
    Files.writeString(dir.resolve("100.txt"), """
        gateway before 500 600 900
        gateway inside 1000 1100 1900
        gateway lost 1200 1300 2100
        gateway after 5000 5100 5900
        gateway cut 1300 14""");
    Files.writeString(dir.resolve("200.txt"), """
        worker before 700 800
        worker inside 1400 1600
        worker after 5300 5400
        worker cu""");
    DispatchSplit split = DispatchSplit.read(dir, 1000, 5000);
    assertEquals(1, split.dispatches(), split.line()); // "inside"; "lost" has no worker line
    assertEquals(1, split.unmatched(), split.line());
    assertEquals(900 / 1e6, split.total().maxMs(), 1e-12);
  }

  @Test
  void noDispatchesGiveNaNsNotAFailure() throws Exception {
    DispatchSplit split = DispatchSplit.read(dir, 0, 1);
    assertEquals(0, split.dispatches());
    assertTrue(Double.isNaN(split.total().p99Ms()));
  }
}
