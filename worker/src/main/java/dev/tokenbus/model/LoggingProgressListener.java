package dev.tokenbus.model;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress as log lines, for a service or a pipe where a redrawn bar would be noise: one line when a quarter (25, 50,
 * 75, 100%) is reached, and otherwise at most one every few seconds. For one download at a time.
 */
public final class LoggingProgressListener implements ProgressListener {
  private static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final Logger log;
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private String label = "download";
  private int lastQuarter;
  private long lastLogNanos;

  public LoggingProgressListener() {
    this(LoggerFactory.getLogger(ModelFetcher.class), DEFAULT_INTERVAL_NANOS, System::nanoTime);
  }

  LoggingProgressListener(Logger log, long intervalNanos, LongSupplier nanoClock) {
    this.log = Objects.requireNonNull(log, "log");
    this.intervalNanos = intervalNanos;
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  @Override
  public void started(String what, long bytesDone, long totalBytes) {
    label = ProgressFormat.fileName(what);
    lastQuarter = quarter(bytesDone, totalBytes); // a resumed download does not re-announce quarters it passed
    lastLogNanos = nanoClock.getAsLong();
    String size = totalBytes < 0 ? "size unknown" : ProgressFormat.mib(totalBytes) + " MiB";
    if (bytesDone > 0) {
      log.info("downloading {} ({}), resuming at {} MiB", what, size, ProgressFormat.mib(bytesDone));
    } else {
      log.info("downloading {} ({})", what, size);
    }
  }

  @Override
  public void progress(long bytesDone, long totalBytes, double bytesPerSecond) {
    long now = nanoClock.getAsLong();
    int quarter = quarter(bytesDone, totalBytes);
    if (quarter > lastQuarter || now - lastLogNanos >= intervalNanos) {
      lastQuarter = Math.max(lastQuarter, quarter);
      lastLogNanos = now;
      log.info("{}", line(bytesDone, totalBytes, bytesPerSecond));
    }
  }

  String line(long done, long total, double rate) {
    if (total < 0) {
      return label + ": " + ProgressFormat.mib(done) + " MiB, " + ProgressFormat.mibPerSecond(rate);
    }
    return label + ": " + ProgressFormat.percent(done, total) + "% (" + ProgressFormat.mib(done) + " of "
        + ProgressFormat.mib(total) + " MiB, " + ProgressFormat.mibPerSecond(rate) + ", ETA "
        + ProgressFormat.eta(done, total, rate) + ")";
  }

  /** 0 to 4: how many quarters of the file are done; 0 when the size is unknown. */
  private static int quarter(long done, long total) {
    if (total <= 0) {
      return 0;
    }
    return done >= total ? 4 : (int) (done * 4 / total);
  }
}
