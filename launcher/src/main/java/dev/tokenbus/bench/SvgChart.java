package dev.tokenbus.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A line chart as plain SVG text, with no library: axes with ticks, a logarithmic x axis (the
 * benchmarks' x values grow by factors: 1, 8, 32, 128 workers; 100 to 10,000 streams), a linear
 * y axis from 0, one polyline with dots per series, and a legend. Points whose y is not finite are
 * left out (a point the machine could not hold).
 */
final class SvgChart {

  static final int WIDTH = 720;
  static final int HEIGHT = 420;
  private static final int LEFT = 80;
  private static final int RIGHT = 220;
  private static final int TOP = 40;
  private static final int BOTTOM = 60;
  private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
      "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final Map<String, List<double[]>> series = new LinkedHashMap<>();

  SvgChart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  /** Adds point (x, y) to series {@code name} (created at its first point, drawn in the order of creation). */
  SvgChart point(String name, double x, double y) {
    if (!(x > 0)) {
      throw new IllegalArgumentException("x must be positive on a logarithmic axis, got " + x);
    }
    series.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {x, y});
    return this;
  }

  /** Whether any series has a point to draw. */
  boolean isEmpty() {
    return series.values().stream().flatMap(List::stream).noneMatch(p -> Double.isFinite(p[1]));
  }

  /** The chart as an SVG document. */
  String toSvg() {
    List<double[]> all = series.values().stream().flatMap(List::stream).filter(p -> Double.isFinite(p[1])).toList();
    double minX = all.stream().mapToDouble(p -> p[0]).min().orElse(1);
    double maxX = all.stream().mapToDouble(p -> p[0]).max().orElse(10);
    double lo = Math.floor(Math.log10(minX));
    double hi = Math.max(Math.ceil(Math.log10(maxX)), lo + 1);
    double maxY = niceCeiling(all.stream().mapToDouble(p -> p[1]).max().orElse(1));
    double plotW = WIDTH - LEFT - RIGHT;
    double plotH = HEIGHT - TOP - BOTTOM;
    java.util.function.DoubleUnaryOperator sx = x -> LEFT + (Math.log10(x) - lo) / (hi - lo) * plotW;
    java.util.function.DoubleUnaryOperator sy = y -> TOP + plotH - y / maxY * plotH;

    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
        + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
    b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
    b.append(text(LEFT + plotW / 2, 22, "middle", 15, title));
    // Axes.
    b.append(line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "black"));
    b.append(line(LEFT, TOP, LEFT, TOP + plotH, "black"));
    // x ticks at each power of ten, minor ticks at 2..9 of each decade.
    for (int e = (int) lo; e <= (int) hi; e++) {
      double x = sx.applyAsDouble(Math.pow(10, e));
      b.append(line(x, TOP, x, TOP + plotH, "#dddddd"));
      b.append(line(x, TOP + plotH, x, TOP + plotH + 6, "black"));
      b.append(text(x, TOP + plotH + 20, "middle", 12, number(Math.pow(10, e))));
      for (int m = 2; m <= 9 && e < (int) hi; m++) {
        double xm = sx.applyAsDouble(m * Math.pow(10, e));
        b.append(line(xm, TOP + plotH, xm, TOP + plotH + 3, "black"));
      }
    }
    // y ticks: five steps from 0.
    for (int i = 0; i <= 5; i++) {
      double v = maxY * i / 5;
      double y = sy.applyAsDouble(v);
      b.append(line(LEFT, y, LEFT + plotW, y, "#eeeeee"));
      b.append(line(LEFT - 6, y, LEFT, y, "black"));
      b.append(text(LEFT - 9, y + 4, "end", 12, number(v)));
    }
    b.append(text(LEFT + plotW / 2, HEIGHT - 15, "middle", 13, xLabel + " (log scale)"));
    b.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\""
        + " transform=\"rotate(-90 18 %.1f)\">%s</text>%n", TOP + plotH / 2, TOP + plotH / 2, escape(yLabel)));
    // Series and legend.
    int i = 0;
    for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
      String colour = COLOURS[i % COLOURS.length];
      List<double[]> points = e.getValue().stream().filter(p -> Double.isFinite(p[1]))
          .sorted((p, q) -> Double.compare(p[0], q[0])).toList();
      StringBuilder path = new StringBuilder();
      for (double[] p : points) {
        path.append(String.format(Locale.ROOT, "%.1f,%.1f ", sx.applyAsDouble(p[0]), sy.applyAsDouble(p[1])));
      }
      if (points.size() > 1) {
        b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
            colour, path.toString().trim()));
      }
      for (double[] p : points) {
        b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
            sx.applyAsDouble(p[0]), sy.applyAsDouble(p[1]), colour));
      }
      double ly = TOP + 10 + i * 18;
      b.append(line(WIDTH - RIGHT + 15, ly, WIDTH - RIGHT + 40, ly, colour));
      b.append(text(WIDTH - RIGHT + 46, ly + 4, "start", 12, e.getKey()));
      i++;
    }
    b.append("</svg>\n");
    return b.toString();
  }

  /** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least {@code v} (1 for nothing positive). */
  static double niceCeiling(double v) {
    if (!(v > 0)) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * p >= v * (1 - 1e-12)) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String line(double x1, double y1, double x2, double y2, String colour) {
    return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
        x1, y1, x2, y2, colour);
  }

  private static String text(double x, double y, String anchor, int size, String s) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
        x, y, anchor, size, escape(s));
  }

  /** A tick label: no trailing zeros, thousands as k. */
  static String number(double v) {
    if (v >= 1000 && v % 1000 == 0) {
      return (long) (v / 1000) + "k";
    }
    String s = String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
