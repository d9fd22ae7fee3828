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
 * @param generated tokens sampled so far (0 in a worker heartbeat)
 * @param state the engine's state for the stream, e.g. {@code PROMPT} or {@code PAUSED}; {@link #WORKER}
 *     in a worker heartbeat
 */
public record HeartbeatFrame(String streamId, int generated, String state) implements Frame {

  /** The state of a worker heartbeat, whose stream id is the worker's endpoint. */
  public static final String WORKER = "WORKER";

  /** A worker heartbeat from the worker at {@code workerEndpoint}. */
  public static HeartbeatFrame ofWorker(String workerEndpoint) {
    return new HeartbeatFrame(workerEndpoint, 0, WORKER);
  }

  /** Whether this is a worker heartbeat; {@link #streamId()} is then the worker's endpoint. */
  public boolean fromWorker() {
    return WORKER.equals(state);
  }
}
