package dev.tokenbus.client;

/**
 * The generation did not end within its {@code timeoutMs}, and the server did not end it either (type {@code
 * timeout}). A generation that the server ends at its deadline ends normally, with a final token whose finish
 * reason is {@link FinishReason#TIMEOUT}.
 */
public class StreamTimeoutException extends TokenbusException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public StreamTimeoutException(String message, String type, String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
