package dev.tokenbus.client;

/** The prompt is longer than the model's context allows (code {@code context_length_exceeded}). */
public class ContextLengthExceededException extends InvalidRequestException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public ContextLengthExceededException(String message, String type,
      String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
