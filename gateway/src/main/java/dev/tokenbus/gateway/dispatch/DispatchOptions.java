package dev.tokenbus.gateway.dispatch;

/**
 * How a gateway reaches workers.
 *
 * @param openTimeoutMs how long a worker may take to answer OPEN before the next one is tried
 * @param inactivityMs a stream with no frame (token or heartbeat) for this long has lost its worker
 * @param workerExpiryMs a worker not heard from for this long is forgotten
 * @param queueSize requests per model that may wait for a free slot; beyond that they get 429
 * @param resumeGraceMs how long a stream whose client went away stays paused for the client to
 *     resume it (through any gateway); 0 cancels it at once
 * @param prefixRoutingSlack cache-aware dispatch: a request goes to the worker whose prefix cache
 *     matches it best while that worker has a free slot and at most this many more active
 *     sequences than the least loaded one; -1 turns it off (least loaded always)
 * @param responsesTtlMs how long a stored response of the Responses API lives after it was stored
 */
public record DispatchOptions(long openTimeoutMs, long inactivityMs, long workerExpiryMs, int queueSize,
    long resumeGraceMs, int prefixRoutingSlack, long responsesTtlMs) {
  public static DispatchOptions defaults() {
    // Workers send a heartbeat on quiet streams every 300 ms: 1.2 s of silence means a dead or
    // stopped worker, and the stream moves well within 2 s.
    return new DispatchOptions(2000, 1200, 3000, 64, 0, 4, 86_400_000);
  }

  public DispatchOptions withQueueSize(int v) {
    return new DispatchOptions(openTimeoutMs, inactivityMs, workerExpiryMs, v, resumeGraceMs, prefixRoutingSlack, responsesTtlMs);
  }

  public DispatchOptions withResumeGraceMs(long v) {
    return new DispatchOptions(openTimeoutMs, inactivityMs, workerExpiryMs, queueSize, v, prefixRoutingSlack, responsesTtlMs);
  }

  public DispatchOptions withPrefixRoutingSlack(int v) {
    return new DispatchOptions(openTimeoutMs, inactivityMs, workerExpiryMs, queueSize, resumeGraceMs, v, responsesTtlMs);
  }

  public DispatchOptions withResponsesTtlMs(long v) {
    return new DispatchOptions(openTimeoutMs, inactivityMs, workerExpiryMs, queueSize, resumeGraceMs,
        prefixRoutingSlack, v);
  }
}
