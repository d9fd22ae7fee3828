package dev.tokenbus.protocol.frame;

/**
 * Worker to gateway, one of two kinds:
 * <ul>
 *   <li>a <b>worker heartbeat</b> ({@link #ofWorker}, {@link #fromWorker}): the worker named in
 *       {@code streamId} is alive, so are all its streams at this gateway, though no token was sent
 *       lately (long prompts, paused or paced streams). One per gateway and heartbeat period,
 *       whatever the number of streams: it keeps the gateway's inactivity timers from firing;
 *   <li>a <b>stream heartbeat</b>: a quiet stream's engine state changed (it paused, say), with
 *       the tokens sampled so far, for the gateway's status.
 * </ul>
 *
 * @param generated tokens sampled so far; in a worker heartbeat, its number among the worker's heartbeats
 *     to this gateway since it last had no stream there (1: the first, whose gap to an earlier one
 *     says nothing of the link)
 * @param state the engine's state for the stream, e.g. {@code PROMPT} or {@code PAUSED}; {@link #WORKER}
 *     in a worker heartbeat
 */
public record HeartbeatFrame(String streamId, int generated, String state) implements Frame {

  /** The state of a worker heartbeat, whose stream id is the worker's endpoint. */
  public static final String WORKER = "WORKER";

  /** Worker heartbeat number {@code beat} (see {@link #generated}) from the worker at {@code workerEndpoint}. */
  public static HeartbeatFrame ofWorker(String workerEndpoint, int beat) {
    return new HeartbeatFrame(workerEndpoint, beat, WORKER);
  }

  /** Whether this is a worker heartbeat; {@link #streamId()} is then the worker's endpoint. */
  public boolean fromWorker() {
    return WORKER.equals(state);
  }
}
