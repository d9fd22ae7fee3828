package dev.tokenbus.gateway.dispatch;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How long each worker's streams may go without a frame before the gateway takes the worker for
 * lost: the configured inactivity limit, raised for a worker whose link has been seen to hold its
 * frames back. Used on the dispatcher's context.
 *
 * <p>Every frame of a stream closes a <i>gap</i>: the time since the stream's previous frame (or
 * since it was put on that worker). On a clean link a live worker's gaps stay near its heartbeat
 * interval (0.3 to 0.4 s), well below the limit. A lossy or congested link holds frames back
 * instead: TCP retransmits a lost segment after 200 ms, then 400, 800 ms (each timeout doubling),
 * and a bandwidth limit queues them, so frames come late and in bursts. The limit for a worker is
 * therefore {@value #FACTOR} times the longest gap it showed in the last {@value #WINDOW_S} to
 * {@code 2 × }{@value #WINDOW_S} s (room for one more doubling of the retransmission timeout), never
 * below the configured limit and never above {@value #MAX_FACTOR} times it: a worker that dies is
 * still found within that bound, and on a clean link as fast as with the configured limit alone.
 */
final class InactivityLimits {

  /** The limit is at least this many times the longest recent gap. */
  static final int FACTOR = 2;
  /** The limit is at most this many times the configured one. */
  static final int MAX_FACTOR = 4;
  /** Gaps count for this long (to twice this long) after they were seen. */
  static final long WINDOW_S = 30;

  private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(WINDOW_S);

  private final long baseNanos;
  private final Map<String, Longest> workers = new HashMap<>();

  /** @param baseMs the configured inactivity limit ({@link DispatchOptions#inactivityMs()}) */
  InactivityLimits(long baseMs) {
    this.baseNanos = TimeUnit.MILLISECONDS.toNanos(baseMs);
  }

  /** A frame from {@code worker} closed a gap of {@code gapNanos}, at {@code now}. */
  void gap(String worker, long gapNanos, long now) {
    Longest longest = workers.get(worker); // not computeIfAbsent: its lambda, capturing now, was garbage per token
    if (longest == null) {
      longest = new Longest(now);
      workers.put(worker, longest);
    }
    longest.add(gapNanos, now);
  }

  /** The inactivity limit for {@code worker}'s streams at {@code now}, in nanoseconds. */
  long limitNanos(String worker, long now) {
    Longest l = workers.get(worker);
    long longest = l == null ? 0 : l.get(now);
    return Math.min(MAX_FACTOR * baseNanos, Math.max(baseNanos, FACTOR * longest));
  }

  /** Forgets the workers that sent no frame for two windows. */
  void prune(long now) {
    workers.values().removeIf(l -> now - l.start > 2 * WINDOW_NANOS);
  }

  /** The longest gap in the current window and in the one before it. */
  private static final class Longest {
    private long start;
    private long current;
    private long previous;

    Longest(long now) {
      this.start = now;
    }

    void add(long gapNanos, long now) {
      roll(now);
      current = Math.max(current, gapNanos);
    }

    long get(long now) {
      roll(now);
      return Math.max(current, previous);
    }

    private void roll(long now) {
      if (now - start >= 2 * WINDOW_NANOS) {
        previous = 0;
        current = 0;
        start = now;
      } else if (now - start >= WINDOW_NANOS) {
        previous = current;
        current = 0;
        start += WINDOW_NANOS;
      }
    }
  }
}
