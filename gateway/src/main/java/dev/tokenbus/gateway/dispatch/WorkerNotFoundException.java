package dev.tokenbus.gateway.dispatch;

/** An operator named a worker this gateway does not know (never announced, or gone). */
public final class WorkerNotFoundException extends RuntimeException {

  public WorkerNotFoundException(String message) {
    super(message);
  }
}
