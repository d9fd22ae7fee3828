package dev.tokenbus.bench;

import dev.tokenbus.trace.DispatchTrace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where a window's dispatches spent their time, from the lines {@link DispatchTrace} wrote in a
 * directory: each gateway line whose request was taken within the window, joined by stream id with
 * its worker's line, split into the gateway's part (taken to OPEN sent), the bus there (OPEN sent to
 * the worker's handler), the worker's part (handler to ACCEPT sent) and the bus back (ACCEPT sent to
 * the gateway's handler). Nodes and benchmark on one host: one clock.
 *
 * @param dispatches the gateway lines in the window joined with a worker line
 * @param unmatched the gateway lines in the window with no worker line
 */
record DispatchSplit(int dispatches, int unmatched, Hop gateway, Hop there, Hop worker, Hop back, Hop total) {

  /** One hop's nearest-rank p50, p99 and max, in milliseconds (NaN without dispatches). */
  record Hop(double p50Ms, double p99Ms, double maxMs) {

    static Hop of(List<Double> ms) {
      return new Hop(Percentiles.of(ms, 50), Percentiles.of(ms, 99), Percentiles.of(ms, 100));
    }

    String text() {
      return String.format(Locale.ROOT, "%.3f / %.3f (max %.3f)", p50Ms, p99Ms, maxMs);
    }
  }

  /** The dispatches taken at or after {@code fromNanos} and before {@code toNanos}, from every file in {@code dir}. */
  static DispatchSplit read(Path dir, long fromNanos, long toNanos) throws IOException {
    Map<String, long[]> workers = new HashMap<>();
    List<String[]> gateways = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted().toList()) {
        for (String line : Files.readAllLines(f)) {
          String[] p = line.strip().split(" ");
          if (p.length == 4 && p[0].equals(DispatchTrace.WORKER)) {
            workers.put(p[1], new long[] {Long.parseLong(p[2]), Long.parseLong(p[3])});
          } else if (p.length == 5 && p[0].equals(DispatchTrace.GATEWAY)) {
            gateways.add(p);
          } // else: a line cut short by a process that was killed while writing it
        }
      }
    }
    List<Double> gateway = new ArrayList<>();
    List<Double> there = new ArrayList<>();
    List<Double> worker = new ArrayList<>();
    List<Double> back = new ArrayList<>();
    List<Double> total = new ArrayList<>();
    int unmatched = 0;
    for (String[] p : gateways) {
      long taken = Long.parseLong(p[2]);
      if (taken - fromNanos < 0 || taken - toNanos >= 0) {
        continue;
      }
      long[] w = workers.get(p[1]);
      if (w == null) {
        unmatched++;
        continue;
      }
      long sent = Long.parseLong(p[3]);
      long accepted = Long.parseLong(p[4]);
      gateway.add((sent - taken) / 1e6);
      there.add((w[0] - sent) / 1e6);
      worker.add((w[1] - w[0]) / 1e6);
      back.add((accepted - w[1]) / 1e6);
      total.add((accepted - taken) / 1e6);
    }
    return new DispatchSplit(total.size(), unmatched, Hop.of(gateway), Hop.of(there), Hop.of(worker), Hop.of(back),
        Hop.of(total));
  }

  /** One line: the count and each hop's p50 / p99 (max), in milliseconds. */
  String line() {
    return String.format(Locale.ROOT, "%d dispatches (%d without a worker line); ms p50 / p99: gateway %s, bus there"
        + " %s, worker %s, bus back %s, dispatch %s", dispatches, unmatched, gateway.text(), there.text(),
        worker.text(), back.text(), total.text());
  }
}
