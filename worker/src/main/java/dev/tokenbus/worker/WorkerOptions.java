package dev.tokenbus.worker;

/**
 * How a worker verticle serves its engine on the bus.
 *
 * @param modelName the name gateways route by; by default the model file's name
 * @param heartbeatMs a stream that sent nothing for this long gets a HEARTBEAT
 * @param creditStallMs a stream whose consumer granted no credit for this long is cancelled (its gateway is stuck or gone)
 * @param announceMs how often the status is checked for changes not announced yet (opens and ends are
 *     announced at once); an unchanged status is announced once a heartbeat ({@code WorkerVerticle.HEARTBEAT_MS})
 * @param coalesceMs tokens closer together than this travel in one TOKENS frame (see CreditedWriteStream)
 * @param drainTimeoutMs at shutdown, how long running streams may go on before they are ended
 * @param drain what a drain (shutdown, or an operator's request) does with running streams
 */
public record WorkerOptions(String modelName, long heartbeatMs, long creditStallMs, long announceMs,
    long coalesceMs, long drainTimeoutMs, DrainMode drain) {

  public WorkerOptions {
    drain = drain == null ? DrainMode.HANDOFF : drain;
  }

  public WorkerOptions(String modelName, long heartbeatMs, long creditStallMs, long announceMs, long coalesceMs,
      long drainTimeoutMs) {
    this(modelName, heartbeatMs, creditStallMs, announceMs, coalesceMs, drainTimeoutMs, DrainMode.HANDOFF);
  }

  public static WorkerOptions defaults(String modelName) {
    return new WorkerOptions(modelName, 300, 120_000, 200, 1, 30_000, DrainMode.HANDOFF);
  }

  public WorkerOptions withDrain(DrainMode v) {
    return new WorkerOptions(modelName, heartbeatMs, creditStallMs, announceMs, coalesceMs, drainTimeoutMs, v);
  }

  public WorkerOptions withCreditStallMs(long v) {
    return new WorkerOptions(modelName, heartbeatMs, v, announceMs, coalesceMs, drainTimeoutMs, drain);
  }

  public WorkerOptions withCoalesceMs(long v) {
    return new WorkerOptions(modelName, heartbeatMs, creditStallMs, announceMs, v, drainTimeoutMs, drain);
  }

  public WorkerOptions withDrainTimeoutMs(long v) {
    return new WorkerOptions(modelName, heartbeatMs, creditStallMs, announceMs, coalesceMs, v, drain);
  }
}
