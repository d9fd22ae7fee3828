package dev.tokenbus.protocol.frame;

/** Gateway to worker: the consumer took {@code credits} more tokens; the worker may send that many more. */
public record CreditFrame(String streamId, int credits) implements Frame {}
