package dev.tokenbus.flow;

/**
 * Why a {@link TokenStream} ended without its END: the worker's ERROR, a cancel, or a failure the
 * gateway noticed itself.
 */
public final class TokenStreamException extends RuntimeException {

  public static final String CANCELLED = "cancelled";
  public static final String PROTOCOL_ERROR = "protocol_error";
  public static final String CONSUMER_ERROR = "consumer_error";
  /** The stream's worker failed and no other worker could take the stream over. */
  public static final String NO_WORKER = "no_worker";

  private final String type;

  public TokenStreamException(String type, String message) {
    this(type, message, null);
  }

  public TokenStreamException(String type, String message, Throwable cause) {
    super(message, cause);
    this.type = type;
  }

  /** A stable error type, e.g. {@code cancelled}, {@code protocol_error}, or the type of the worker's ERROR. */
  public String type() {
    return type;
  }

  @Override
  public String toString() {
    return "TokenStreamException[" + type + "]: " + getMessage();
  }
}
