package dev.tokenbus.gateway.dispatch;

/**
 * A stream its owner asked to resume is still attached to a client connection: resuming takes over
 * only a stream whose client went away (parked for {@code resume-grace-ms}), so a live stream is
 * never cut from the connection it streams to. The client may try again once that connection closed.
 */
public final class StreamInUseException extends RuntimeException {

  public StreamInUseException(String streamId) {
    super("stream " + streamId + " is still streaming to a client connection; it can be resumed once that"
        + " connection closed");
  }
}
