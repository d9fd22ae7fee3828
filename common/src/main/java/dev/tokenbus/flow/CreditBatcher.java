package dev.tokenbus.flow;

/**
 * Counts tokens the consumer took and releases them as credits in batches of half the window,
 * so that a stream costs one CREDIT frame per {@code window/2} tokens rather than one per token,
 * while the producer never waits for credit it is owed: what is held back stays below half the window.
 */
final class CreditBatcher {

  private final int batch;
  private int taken;

  CreditBatcher(int window) {
    this.batch = Math.max(1, window / 2);
  }

  /** One more token taken: returns the credits to grant now, or 0 to keep counting. */
  int took() {
    if (++taken < batch) {
      return 0;
    }
    int grant = taken;
    taken = 0;
    return grant;
  }
}
