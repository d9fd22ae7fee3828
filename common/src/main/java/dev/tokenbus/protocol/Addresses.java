package dev.tokenbus.protocol;

import java.util.UUID;

/** Event-bus addresses. Each gateway and worker verticle has one endpoint; streams are multiplexed by id. */
public final class Addresses {

  /** Workers publish their {@link WorkerStatus} here; every gateway listens. */
  public static final String WORKER_STATUS = "tokenbus.workers";

  private Addresses() {}

  public static String newWorkerEndpoint() {
    return "tokenbus.worker." + UUID.randomUUID();
  }

  /**
   * Where the gateway holding a resumable stream answers claims for it, from the gateway where the
   * stream's client reconnected.
   */
  public static String streamClaims(String streamId) {
    return "tokenbus.streams." + streamId + ".claim";
  }

  /**
   * A worker's tokenizer: request/reply, JSON ({@code {"op":"tokenize"|"detokenize", ...}}). Beside
   * the frame endpoint so that tokenizing never queues behind a stream's frames.
   */
  public static String tokenizer(String workerEndpoint) {
    return workerEndpoint + ".tokenize";
  }

  public static String newGatewayEndpoint() {
    return "tokenbus.gateway." + UUID.randomUUID();
  }
}
