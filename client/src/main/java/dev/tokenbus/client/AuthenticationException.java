package dev.tokenbus.client;

/** The gateway wants an API key and got none, or a wrong one (401, code {@code invalid_api_key}). */
public class AuthenticationException extends TokenbusException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public AuthenticationException(String message, String type, String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
