package dev.tokenbus.client;

/** No worker serves the requested model (404, code {@code model_not_found}). */
public class ModelNotFoundException extends InvalidRequestException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public ModelNotFoundException(String message, String type, String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
