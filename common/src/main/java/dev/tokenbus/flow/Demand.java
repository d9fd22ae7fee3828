package dev.tokenbus.flow;

/** How many more items a ReadStream's consumer asked for: unbounded when flowing, counted after pause/fetch. */
final class Demand {

  private long remaining = Long.MAX_VALUE;

  boolean any() {
    return remaining > 0;
  }

  /** Spends one; a flowing stream stays flowing. */
  void take() {
    if (remaining != Long.MAX_VALUE) {
      remaining--;
    }
  }

  void pause() {
    remaining = 0;
  }

  void add(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("fetch amount must be >= 0, got " + n);
    }
    remaining += n;
    if (remaining < 0) {
      remaining = Long.MAX_VALUE; // overflow: as good as flowing
    }
  }
}
