package dev.tokenbus.model;

import java.util.Locale;

/** The numbers progress displays share: MiB, MiB/s, percent and time left. */
final class ProgressFormat {
  private static final double MIB = 1024.0 * 1024.0;

  private ProgressFormat() {
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f", bytes / MIB);
  }

  static String mibPerSecond(double bytesPerSecond) {
    return String.format(Locale.ROOT, "%.1f MiB/s", bytesPerSecond / MIB);
  }

  /** Whole percent, never 100 before the last byte. */
  static int percent(long done, long total) {
    if (total <= 0) {
      return 0;
    }
    return done >= total ? 100 : (int) Math.min(99, done * 100 / total);
  }

  /** Time left as {@code m:ss} or {@code h:mm:ss}; {@code --:--} while the rate is unknown. */
  static String eta(long done, long total, double bytesPerSecond) {
    if (total < 0 || bytesPerSecond <= 0) {
      return "--:--";
    }
    long seconds = (long) Math.ceil(Math.max(0, total - done) / bytesPerSecond);
    if (seconds >= 100 * 3600) {
      return "--:--";
    }
    long h = seconds / 3600;
    long m = seconds / 60 % 60;
    long s = seconds % 60;
    return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
  }

  /** The last path segment of a URL, for a short label. */
  static String fileName(String url) {
    String path = url;
    int cut = indexOfAny(path, '?', '#');
    if (cut >= 0) {
      path = path.substring(0, cut);
    }
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String name = path.substring(path.lastIndexOf('/') + 1);
    return name.isEmpty() ? url : name;
  }

  private static int indexOfAny(String s, char a, char b) {
    int i = s.indexOf(a);
    int j = s.indexOf(b);
    return i < 0 ? j : j < 0 ? i : Math.min(i, j);
  }
}
