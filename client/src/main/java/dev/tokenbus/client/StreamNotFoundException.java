package dev.tokenbus.client;

/**
 * A stream to resume that no gateway holds any more (404, code {@code stream_not_found}): it ended, or its
 * grace period ran out.
 */
public class StreamNotFoundException extends InvalidRequestException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public StreamNotFoundException(String message, String type, String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
