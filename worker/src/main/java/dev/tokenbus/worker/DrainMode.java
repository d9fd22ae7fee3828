package dev.tokenbus.worker;

/** What a draining worker does with its running streams (see {@code WorkerVerticle#drainNow}). */
public enum DrainMode {
  /**
   * Hands each to a compatible worker of the model with its KV cells, which continues it without
   * recomputing; where that is impossible, as {@link #REPLAY}.
   */
  HANDOFF,
  /** Ends each at once for its gateway to move to another worker, which replays the prompt and tokens so far. */
  REPLAY,
  /** Lets each finish here, until the drain timeout. */
  WAIT;

  /** The mode a user named: {@code handoff}, {@code replay} or {@code wait}. */
  public static DrainMode parse(String s) {
    for (DrainMode m : values()) {
      if (m.name().equalsIgnoreCase(s == null ? "" : s.strip())) {
        return m;
      }
    }
    throw new IllegalArgumentException("worker-drain must be handoff, replay or wait, got '" + s + "'");
  }
}
