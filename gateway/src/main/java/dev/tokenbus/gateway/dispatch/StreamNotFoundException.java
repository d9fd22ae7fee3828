package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.frame.StreamClaim;

/**
 * A stream to resume or cancel is not held by any gateway for the caller: it ended, its grace period
 * for a reconnect ran out, or another API key owns it. The last looks the same as the others, so
 * that no key can tell whether another key's stream id exists.
 */
public final class StreamNotFoundException extends RuntimeException {

  public StreamNotFoundException(String message) {
    super(message);
  }

  /** The one answer for a stream id the caller cannot resume: unknown, ended, or another key's. */
  public static StreamNotFoundException unknown(String streamId) {
    return new StreamNotFoundException(StreamClaim.unknown(streamId));
  }
}
