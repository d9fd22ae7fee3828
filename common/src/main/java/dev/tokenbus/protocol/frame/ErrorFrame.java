package dev.tokenbus.protocol.frame;

/**
 * Either direction: the stream failed and is over.
 *
 * @param type a stable error type, e.g. {@code engine_error}, {@code protocol_error}, {@code credit_stall}
 */
public record ErrorFrame(String streamId, String type, String message) implements Frame {}
