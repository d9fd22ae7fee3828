package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.StreamErrorType;

/**
 * Either direction: the stream failed and is over.
 *
 * @param type why; null reads as {@link StreamErrorType#SERVER_ERROR}
 */
public record ErrorFrame(String streamId, StreamErrorType type, String message) implements Frame {

  public ErrorFrame {
    type = type == null ? StreamErrorType.SERVER_ERROR : type;
  }
}
