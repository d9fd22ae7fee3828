/**
 * The wire messages of a generation stream, one record per message ({@code OpenFrame} to
 * {@code HeartbeatFrame}), and {@link dev.tokenbus.protocol.frame.FrameCodec}, their binary codec;
 * {@link dev.tokenbus.protocol.frame.FrameBatch} carries several to one endpoint in one message. Contract: a
 * malformed frame is a {@link dev.tokenbus.protocol.frame.MalformedFrameException}, never a partial frame.
 */
package dev.tokenbus.protocol.frame;
