package dev.tokenbus.protocol;

/** Why a generation ended. The wire name is what clients see in {@code finish_reason}. */
public enum FinishReason {
  /** End of generation (EOS/EOG) or a stop sequence matched. */
  STOP("stop"),
  /** {@code max_tokens} reached, or the sequence's context is full. */
  LENGTH("length"),
  /** Cancelled by the client, a disconnect or a shutdown. */
  CANCELLED("cancelled"),
  /** {@code timeout_ms} elapsed. */
  TIMEOUT("timeout"),
  /** The engine failed; the result carries the error. */
  ERROR("error");

  private final String wireName;

  FinishReason(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static FinishReason fromWireName(String name) {
    for (FinishReason r : values()) {
      if (r.wireName.equals(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown finish reason: " + name);
  }
}
