package dev.tokenbus.model;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar redrawn in place with {@code \r}:
 * {@code stories.gguf  42% [########            ] 12.3/29.1 MiB  4.2 MiB/s  ETA 0:04}.
 * Redraws at most ten times a second, so a fast download does not flood the terminal. For one download at a time.
 */
public final class TerminalProgressBar implements ProgressListener {
  private static final long REDRAW_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int BAR_WIDTH = 20;

  private final PrintStream out;
  private final LongSupplier nanoClock;
  private String label = "download";
  private long done;
  private long total = -1;
  private double rate;
  private long lastDrawNanos;
  private boolean drawn;
  private int lastLineLength;

  public TerminalProgressBar(PrintStream out) {
    this(out, System::nanoTime);
  }

  TerminalProgressBar(PrintStream out, LongSupplier nanoClock) {
    this.out = Objects.requireNonNull(out, "out");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  @Override
  public void started(String what, long bytesDone, long totalBytes) {
    label = ProgressFormat.fileName(what);
    done = bytesDone;
    total = totalBytes;
    rate = 0;
    draw();
  }

  @Override
  public void progress(long bytesDone, long totalBytes, double bytesPerSecond) {
    done = bytesDone;
    total = totalBytes;
    rate = bytesPerSecond;
    if (!drawn || nanoClock.getAsLong() - lastDrawNanos >= REDRAW_INTERVAL_NANOS) {
      draw();
    }
  }

  @Override
  public void finished() {
    draw(); // the last state, which throttling may have skipped
    out.print(System.lineSeparator());
    out.flush();
    drawn = false;
    lastLineLength = 0;
  }

  String line() {
    if (total < 0) {
      return String.format(Locale.ROOT, "%s  %s MiB  %s", label, ProgressFormat.mib(done),
          ProgressFormat.mibPerSecond(rate));
    }
    int percent = ProgressFormat.percent(done, total);
    int filled = percent * BAR_WIDTH / 100;
    String bar = "#".repeat(filled) + " ".repeat(BAR_WIDTH - filled);
    return String.format(Locale.ROOT, "%s %3d%% [%s] %s/%s MiB  %s  ETA %s", label, percent, bar,
        ProgressFormat.mib(done), ProgressFormat.mib(total), ProgressFormat.mibPerSecond(rate),
        ProgressFormat.eta(done, total, rate));
  }

  private void draw() {
    String line = line();
    // Blanks over the tail of a longer previous line, which \r alone would leave on screen.
    String padding = " ".repeat(Math.max(0, lastLineLength - line.length()));
    out.print("\r" + line + padding);
    out.flush();
    lastLineLength = line.length();
    lastDrawNanos = nanoClock.getAsLong();
    drawn = true;
  }
}
