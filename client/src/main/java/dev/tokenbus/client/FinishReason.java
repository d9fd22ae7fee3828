package dev.tokenbus.client;

/** Why a generation ended, as the final token reports it ({@code finish_reason} on the wire). */
public enum FinishReason {
  /** The model ended the text (end-of-generation token) or a stop sequence matched. */
  STOP("stop"),
  /** {@code maxTokens} reached, or the sequence's context is full. */
  LENGTH("length"),
  /** {@code timeoutMs} elapsed on the server. */
  TIMEOUT("timeout"),
  /** Cancelled. */
  CANCELLED("cancelled"),
  /** The engine failed. */
  ERROR("error");

  private final String wireName;

  FinishReason(String wireName) {
    this.wireName = wireName;
  }

  /** The name on the wire, e.g. {@code "length"}. */
  public String wireName() {
    return wireName;
  }

  /** The reason with this wire name, or null for a name this client does not know. */
  static FinishReason fromWireName(String name) {
    for (FinishReason r : values()) {
      if (r.wireName.equals(name)) {
        return r;
      }
    }
    return null;
  }
}
