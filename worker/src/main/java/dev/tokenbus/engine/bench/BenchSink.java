package dev.tokenbus.engine.bench;

import dev.tokenbus.engine.TokenSink;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.TokenData;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * The cheapest consumer a benchmark can have, so that its figures are the engine's own cost:
 * never full, records token ids and when the first token came, completes on the end.
 */
public final class BenchSink implements TokenSink {

  private final long startNanos;
  private final int[] ids;
  private int count;
  private volatile long firstTokenNanos = -1;
  private final CompletableFuture<GenerationResult> done = new CompletableFuture<>();

  /**
   * @param startNanos what {@link #firstTokenNanos()} is measured from
   * @param capacity the most token ids kept
   */
  public BenchSink(long startNanos, int capacity) {
    this.startNanos = startNanos;
    this.ids = new int[capacity];
  }

  @Override
  public void write(TokenData token) {
    if (firstTokenNanos < 0) {
      firstTokenNanos = System.nanoTime() - startNanos;
    }
    if (token.tokenId() >= 0 && count < ids.length) {
      ids[count++] = token.tokenId();
    }
  }

  @Override
  public boolean writeQueueFull() {
    return false;
  }

  @Override
  public void drainHandler(Runnable onDrain) {}

  @Override
  public void end(GenerationResult result) {
    done.complete(result);
  }

  public CompletableFuture<GenerationResult> done() {
    return done;
  }

  /** Nanoseconds from the start to the first token, or -1 before it. */
  public long firstTokenNanos() {
    return firstTokenNanos;
  }

  public int[] ids() {
    return Arrays.copyOf(ids, count);
  }

  /** The median of a sample, for reports that must not hang on one noisy run. */
  public static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
