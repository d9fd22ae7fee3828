package dev.tokenbus.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * {@code bench scale}'s cost curves as SVG files: gateway CPU per 1,000 tokens, heap per stream,
 * added ITL p99 and dispatch p99, each against W (a line per bus mode, G and N) and against N (a
 * line per bus mode, G and W). Slow-stream points only: the fast ones measure throughput. The floor's
 * points ({@link SseFloorServer}) are a line of their own against N, and none against W (they have no
 * workers).
 */
final class ScaleCharts {

  private record Metric(String file, String title, String unit, ToDoubleFunction<ScaleBenchmark.Row> value) {}

  private static final List<Metric> METRICS = List.of(
      new Metric("cpu-per-1k-tokens", "Gateway CPU per 1,000 tokens relayed", "CPU seconds",
          ScaleBenchmark.Row::cpuPerKiloToken),
      new Metric("heap-per-stream", "Gateway heap per open stream", "KB", r -> r.heapPerStreamBytes() / 1024),
      new Metric("added-itl-p99", "Added inter-token latency p99 at the client", "ms",
          ScaleBenchmark.Row::addedItlP99Ms),
      new Metric("dispatch-p99", "Dispatch latency p99 (request in to OPEN accepted)", "ms",
          ScaleBenchmark.Row::dispatchP99Ms));

  private ScaleCharts() {}

  /** Writes the charts that have points into {@code dir} (made if absent); returns the files. */
  static List<Path> write(List<ScaleBenchmark.Row> rows, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<ScaleBenchmark.Row> slow = rows.stream().filter(r -> !r.fast()).toList();
    List<Path> written = new ArrayList<>();
    for (Metric m : METRICS) {
      written.addAll(chart(slow.stream().filter(r -> !r.floor()).toList(), dir, m, "vs-workers", "workers (W)",
          ScaleBenchmark.Row::workers, r -> bus(r) + " G=" + r.gateways() + " N=" + r.streams()));
      written.addAll(chart(slow, dir, m, "vs-streams", "open streams (N)", ScaleBenchmark.Row::streams,
          r -> r.floor() ? bus(r) : bus(r) + " G=" + r.gateways() + " W=" + r.workers()));
    }
    return written;
  }

  private static List<Path> chart(List<ScaleBenchmark.Row> rows, Path dir, Metric m, String suffix, String xLabel,
      ToDoubleFunction<ScaleBenchmark.Row> x, Function<ScaleBenchmark.Row, String> series) throws IOException {
    SvgChart c = new SvgChart(m.title(), xLabel, m.unit());
    for (ScaleBenchmark.Row r : rows) {
      c.point(series.apply(r), x.applyAsDouble(r), m.value().applyAsDouble(r));
    }
    if (c.isEmpty()) {
      return List.of();
    }
    Path file = dir.resolve(m.file() + "-" + suffix + ".svg");
    Files.writeString(file, c.toSvg());
    return List.of(file);
  }

  private static String bus(ScaleBenchmark.Row r) {
    return (r.floor() ? "floor" : r.tls() ? "TLS" : "plain") + (r.stepMs() < r.itlMs() ? " paced" : "");
  }
}
