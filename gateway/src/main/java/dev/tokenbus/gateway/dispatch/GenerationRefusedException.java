package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.frame.RefuseFrame;

/** A worker refused the request itself (invalid, or too long for the context): no worker would take it. */
public class GenerationRefusedException extends RuntimeException {

  private final RefuseFrame.Reason reason;
  private final String param;

  public GenerationRefusedException(RefuseFrame refusal) {
    super(refusal.message());
    this.reason = refusal.reason();
    this.param = refusal.param();
  }

  public RefuseFrame.Reason reason() {
    return reason;
  }

  public String param() {
    return param;
  }
}
