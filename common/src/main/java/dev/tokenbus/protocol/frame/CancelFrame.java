package dev.tokenbus.protocol.frame;

/** Gateway to worker: stop this generation now (client gone, cancelled, timed out, gateway stopping). */
public record CancelFrame(String streamId, String reason) implements Frame {}
