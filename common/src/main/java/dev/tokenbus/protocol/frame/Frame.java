package dev.tokenbus.protocol.frame;

/**
 * A message of the streaming protocol between gateways and workers. Every frame names its stream;
 * endpoints multiplex many streams over one event-bus address each (see docs/ARCHITECTURE.md).
 * Frames travel with {@link FrameCodec}.
 */
public sealed interface Frame
    permits OpenFrame, AcceptFrame, RefuseFrame, TokensFrame, EndFrame, ErrorFrame, CreditFrame, CancelFrame,
    HeartbeatFrame {

  String streamId();
}
