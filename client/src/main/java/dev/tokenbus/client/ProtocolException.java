package dev.tokenbus.client;

/**
 * The server sent something this client cannot read, or broke the stream's order (type {@code
 * protocol_error}).
 */
public class ProtocolException extends TokenbusException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public ProtocolException(String message, String type, String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
