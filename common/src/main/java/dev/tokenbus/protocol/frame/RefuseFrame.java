package dev.tokenbus.protocol.frame;

/** Worker to gateway, as the reply to {@link OpenFrame}: the generation was not started. */
public record RefuseFrame(String streamId, Reason reason, String message, String param) implements Frame {

  /** Why; decides whether the gateway tries another worker. */
  public enum Reason {
    /** Every slot is busy: another worker may take it. */
    BUSY(true),
    /** The worker is shutting down: another worker may take it. */
    SHUTTING_DOWN(true),
    /** The worker does not serve the requested model: another worker may. */
    MODEL_NOT_FOUND(true),
    /** A parameter is invalid: no worker will take it (HTTP 400). */
    INVALID_REQUEST(false),
    /** The prompt does not fit the model's context: no worker will take it (HTTP 400). */
    CONTEXT_LENGTH_EXCEEDED(false);

    private final boolean retryElsewhere;

    Reason(boolean retryElsewhere) {
      this.retryElsewhere = retryElsewhere;
    }

    public boolean retryElsewhere() {
      return retryElsewhere;
    }
  }
}
