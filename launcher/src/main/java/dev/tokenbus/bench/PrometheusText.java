package dev.tokenbus.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One scrape of a node's {@code /metrics} (Prometheus text format): the value of each series, and
 * what two scrapes or several nodes' scrapes add up to. Only what the benchmarks read: sums of a
 * metric over its series, and a histogram's buckets, whose difference between two scrapes gives the
 * percentiles of what was recorded in between.
 */
final class PrometheusText {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** Each series, by its name and labels as written ({@code name{a="b",}}), to its value. */
  private final Map<String, Double> series;

  private PrometheusText(Map<String, Double> series) {
    this.series = series;
  }

  /** Scrapes {@code http://127.0.0.1:port/metrics}. */
  static PrometheusText scrape(int port) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET /metrics on port " + port + ": HTTP " + r.statusCode());
    }
    return parse(r.body());
  }

  /** Reads the text format; comments and lines it cannot read are skipped. */
  static PrometheusText parse(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      // The value follows the first space after the labels (a timestamp may follow it).
      int labelsEnd = line.lastIndexOf('}');
      int valueAt = line.indexOf(' ', Math.max(labelsEnd, 0));
      if (valueAt < 0) {
        continue;
      }
      try {
        out.put(line.substring(0, valueAt).trim(), parseValue(line.substring(valueAt + 1).trim().split(" ")[0]));
      } catch (NumberFormatException e) {
        // not a sample
      }
    }
    return new PrometheusText(out);
  }

  /** The sum of every series of metric {@code name} (any labels); 0 without one. */
  double sum(String name) {
    return sum(name, "");
  }

  /** The sum of the series of metric {@code name} whose labels contain {@code labelText} (e.g. {@code area="heap"}). */
  double sum(String name, String labelText) {
    double total = 0;
    for (Map.Entry<String, Double> e : series.entrySet()) {
      String key = e.getKey();
      if (nameOf(key).equals(name) && key.contains(labelText)) {
        total += e.getValue();
      }
    }
    return total;
  }

  /** Whether metric {@code name} has a series. */
  boolean has(String name) {
    return series.keySet().stream().anyMatch(k -> nameOf(k).equals(name));
  }

  /** Histogram {@code name}'s cumulative bucket counts ({@code name_bucket}), by upper bound, summed over its series. */
  Buckets buckets(String name) {
    TreeMap<Double, Double> counts = new TreeMap<>();
    for (Map.Entry<String, Double> e : series.entrySet()) {
      String key = e.getKey();
      int le = key.indexOf("le=\"");
      if (nameOf(key).equals(name + "_bucket") && le >= 0) {
        double bound = parseValue(key.substring(le + 4, key.indexOf('"', le + 4)));
        counts.merge(bound, e.getValue(), Double::sum);
      }
    }
    return new Buckets(counts);
  }

  /** This scrape and {@code other} added up, series by series (several nodes as one). */
  PrometheusText plus(PrometheusText other) {
    Map<String, Double> out = new LinkedHashMap<>(series);
    other.series.forEach((k, v) -> out.merge(k, v, Double::sum));
    return new PrometheusText(out);
  }

  private static String nameOf(String key) {
    int brace = key.indexOf('{');
    return brace < 0 ? key : key.substring(0, brace);
  }

  private static double parseValue(String v) {
    return switch (v) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(v);
    };
  }

  /**
   * A histogram's cumulative counts by upper bound ({@code le}), the last one {@code +Inf}.
   *
   * @param counts bound to the count of observations at or below it
   */
  record Buckets(TreeMap<Double, Double> counts) {

    /** The observations recorded since {@code earlier} (a scrape of the same histogram before this one). */
    Buckets minus(Buckets earlier) {
      TreeMap<Double, Double> out = new TreeMap<>();
      counts.forEach((bound, n) -> out.put(bound, n - earlier.counts.getOrDefault(bound, 0.0)));
      return new Buckets(out);
    }

    /** How many observations there are (the {@code +Inf} bucket's count). */
    double count() {
      return counts.isEmpty() ? 0 : counts.lastEntry().getValue();
    }

    /**
     * The {@code p}-th percentile (0 < p <= 100) as Prometheus's {@code histogram_quantile} estimates
     * it: linear within the bucket where the rank falls, from the previous bound (0 for the first);
     * the largest finite bound when it falls in {@code +Inf}; NaN without observations.
     */
    double percentile(double p) {
      double total = count();
      if (total <= 0) {
        return Double.NaN;
      }
      double rank = p / 100 * total;
      double lowerBound = 0;
      double below = 0;
      List<Map.Entry<Double, Double>> entries = new ArrayList<>(counts.entrySet());
      for (Map.Entry<Double, Double> e : entries) {
        double bound = e.getKey();
        double cumulative = e.getValue();
        if (cumulative >= rank) {
          if (Double.isInfinite(bound)) {
            return lowerBound;
          }
          double inBucket = cumulative - below;
          return inBucket <= 0 ? bound : lowerBound + (bound - lowerBound) * (rank - below) / inBucket;
        }
        lowerBound = bound;
        below = cumulative;
      }
      return lowerBound;
    }
  }
}
