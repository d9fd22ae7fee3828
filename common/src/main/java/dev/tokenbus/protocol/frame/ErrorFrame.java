package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.StreamErrorType;

/**
 * Either direction: the stream failed and is over.
 *
 * @param type why; null reads as {@link StreamErrorType#SERVER_ERROR}
 * @param moveTo for a worker that shuts down and handed the stream's KV state to another worker
 *     ({@code worker_shutdown}): that worker's endpoint, where the gateway moves the stream first;
 *     null otherwise
 */
public record ErrorFrame(String streamId, StreamErrorType type, String message, String moveTo) implements Frame {

  public ErrorFrame {
    type = type == null ? StreamErrorType.SERVER_ERROR : type;
  }

  public ErrorFrame(String streamId, StreamErrorType type, String message) {
    this(streamId, type, message, null);
  }
}
