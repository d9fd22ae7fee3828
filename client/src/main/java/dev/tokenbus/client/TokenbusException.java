package dev.tokenbus.client;

/**
 * A generation that failed: refused by the gateway (with an HTTP status, over either transport),
 * ended by an error after it started (status 0), or refused by this client before anything was
 * sent (a value out of range: an {@link InvalidRequestException}, status 0). The subclasses name the
 * server's error types; {@link #type()} and {@link #code()} carry the server's own words, for types
 * this client does not know.
 */
public class TokenbusException extends RuntimeException {

  private final String type;
  private final String code;
  private final String param;
  private final int status;

  /**
   * @param type the server's error type, e.g. {@code invalid_request_error} or {@code worker_lost}
   * @param code the server's error code, or null
   * @param param the request field at fault, or null
   * @param status the HTTP status of a refused request; 0 for an error after the stream started or
   *     one the client found itself
   */
  public TokenbusException(String message, String type, String code, String param, int status, Throwable cause) {
    super(message, cause);
    this.type = type;
    this.code = code;
    this.param = param;
    this.status = status;
  }

  /** The server's error type ({@code error.type}), or this client's for errors it detects itself. */
  public String type() {
    return type;
  }

  /** The server's error code ({@code error.code}), or null. */
  public String code() {
    return code;
  }

  /** The request field the error is about, or null. */
  public String param() {
    return param;
  }

  /**
   * The HTTP status of a refused request (over WebSocket, the one the gateway's error frame gives);
   * 0 for an error that ended a running stream, or that this client found itself.
   */
  public int status() {
    return status;
  }
}
