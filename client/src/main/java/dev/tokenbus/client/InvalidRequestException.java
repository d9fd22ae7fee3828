package dev.tokenbus.client;

/**
 * The gateway refused the request as invalid (400 {@code invalid_request_error}): a value out of range, an
 * empty prompt; {@link #param()} names the field.
 */
public class InvalidRequestException extends TokenbusException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public InvalidRequestException(String message, String type, String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
