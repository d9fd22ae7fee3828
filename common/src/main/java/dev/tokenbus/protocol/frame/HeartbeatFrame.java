package dev.tokenbus.protocol.frame;

/**
 * Worker to gateway: the stream is alive though no token was sent lately (long prompt, paused,
 * paced). Keeps the gateway's inactivity timer from firing.
 *
 * @param generated tokens sampled so far
 * @param state the engine's state for the stream, e.g. {@code PROMPT} or {@code PAUSED}
 */
public record HeartbeatFrame(String streamId, int generated, String state) implements Frame {}
