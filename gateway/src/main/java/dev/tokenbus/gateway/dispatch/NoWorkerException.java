package dev.tokenbus.gateway.dispatch;

/** No worker could take the generation: none known for the model, or all refused as busy. Maps to HTTP 503. */
public class NoWorkerException extends RuntimeException {
  public NoWorkerException(String message) {
    super(message);
  }
}
