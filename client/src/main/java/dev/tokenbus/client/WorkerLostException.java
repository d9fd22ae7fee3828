package dev.tokenbus.client;

/**
 * The stream's worker was lost or stopped answering and the stream could not move to another ({@code
 * worker_lost}, {@code worker_unresponsive}).
 */
public class WorkerLostException extends TokenbusException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public WorkerLostException(String message, String type, String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
