package dev.tokenbus.client;

/**
 * The gateway could not be reached, or the connection was lost and the stream could not be resumed (type
 * {@code connection_error}).
 */
public class ConnectionException extends TokenbusException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public ConnectionException(String message, String type, String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
