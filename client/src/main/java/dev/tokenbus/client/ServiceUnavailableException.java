package dev.tokenbus.client;

/**
 * No worker could serve the generation (503 {@code service_unavailable_error}, or {@code no_worker}
 * mid-stream), or a node is shutting down ({@code worker_shutdown}, {@code gateway_shutdown}).
 */
public class ServiceUnavailableException extends TokenbusException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public ServiceUnavailableException(String message, String type,
      String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
