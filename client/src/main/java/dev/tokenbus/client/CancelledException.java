package dev.tokenbus.client;

/** The generation was cancelled: by {@link TokenStream#cancel()}, or by the server ({@code cancelled}). */
public class CancelledException extends TokenbusException {

  /** See {@link TokenbusException#TokenbusException(String, String, String, String, int, Throwable)}. */
  public CancelledException(String message, String type, String code, String param, int status, Throwable cause) {
    super(message, type, code, param, status, cause);
  }
}
