package dev.tokenbus.engine;

/** The engine refused a request before starting it. Nothing was generated and no slot is held. */
public class AdmissionException extends RuntimeException {

  /** Why, in a form callers can map to protocol errors. */
  public enum Reason {
    /** The prompt alone does not fit in one sequence's share of the context. */
    PROMPT_TOO_LONG,
    /** Every slot is busy; try another worker or later. */
    NO_FREE_SLOT,
    /** The engine is closing. */
    SHUTTING_DOWN
  }

  private final Reason reason;

  public AdmissionException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
