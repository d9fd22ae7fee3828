package dev.tokenbus.protocol;

/** A request parameter is missing, of the wrong type or out of range. Maps to HTTP 400. */
public class RequestValidationException extends RuntimeException {

  private final String param;

  public RequestValidationException(String param, String message) {
    super(message);
    this.param = param;
  }

  /** The offending parameter's wire name, or null when the request as a whole is wrong. */
  public String param() {
    return param;
  }
}
