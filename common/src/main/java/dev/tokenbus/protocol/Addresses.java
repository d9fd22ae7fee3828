package dev.tokenbus.protocol;

import java.util.UUID;

/** Event-bus addresses. Each gateway and worker verticle has one endpoint; streams are multiplexed by id. */
public final class Addresses {

  /** Workers publish their {@link WorkerStatus} here; every gateway listens. */
  public static final String WORKER_STATUS = "tokenbus.workers";

  /**
   * A message published here (any body) makes every worker announce its status at once: for a node
   * that starts listening to {@link #WORKER_STATUS} (a gateway starting, a worker about to hand off),
   * since a worker whose load does not change announces only once a heartbeat.
   */
  public static final String ANNOUNCE_NOW = "tokenbus.workers.announce";

  private Addresses() {}

  public static String newWorkerEndpoint() {
    return "tokenbus.worker." + UUID.randomUUID();
  }

  /**
   * Where a gateway answers the claims for the resumable streams it made and still holds: one
   * address per gateway, named by the prefix of its stream ids, so that opening a stream registers
   * nothing in the cluster's directory.
   */
  public static String gatewayClaims(String streamIdPrefix) {
    return "tokenbus.gateways." + streamIdPrefix + ".claims";
  }

  /**
   * Where a gateway answers requests to cancel the work it runs for no connected client (the
   * Responses API's background responses), named as {@link #gatewayClaims} is: any gateway where
   * the cancel arrives sends it here, by the prefix of the work's stream id.
   */
  public static String gatewayCancels(String streamIdPrefix) {
    return "tokenbus.gateways." + streamIdPrefix + ".cancels";
  }

  /**
   * Where a gateway answers reads of the event logs of the work it runs for no connected client
   * (a background response streamed, or streamed again after {@code starting_after}), named as
   * {@link #gatewayClaims} is.
   */
  public static String gatewayEvents(String streamIdPrefix) {
    return "tokenbus.gateways." + streamIdPrefix + ".events";
  }

  /**
   * Where a gateway holding a resumable stream that another gateway made (its client came back
   * here once) answers claims for it, from the gateway where the stream's client reconnected next.
   */
  public static String streamClaims(String streamId) {
    return "tokenbus.streams." + streamId + ".claim";
  }

  /**
   * Where a worker answers the claims for the streams it keeps because their gateway is gone: one
   * address per worker, registered from its start, so a claim reaches it even while the cluster's
   * directory still lists the dead gateway at the stream's own claim address.
   */
  public static String workerClaims(String workerEndpoint) {
    return workerEndpoint + ".claims";
  }

  /**
   * A worker's tokenizer: request/reply, JSON ({@code {"op":"tokenize"|"detokenize", ...}}). Beside
   * the frame endpoint so that tokenizing never queues behind a stream's frames.
   */
  public static String tokenizer(String workerEndpoint) {
    return workerEndpoint + ".tokenize";
  }

  /**
   * A worker's embeddings: request/reply, a JSON request and a binary answer ({@link EmbeddingsWire}).
   * Beside the frame endpoint, so that embedding requests never queue behind a stream's frames.
   */
  public static String embeddings(String workerEndpoint) {
    return workerEndpoint + ".embed";
  }

  /**
   * Where a worker takes running sequences' KV states from other workers, and drain requests:
   * request/reply, JSON ops ({@code offer}, {@code commit}, {@code abort}, {@code release},
   * {@code drain}) and binary chunks (see the worker's {@code KvHandoff}).
   */
  public static String handoff(String workerEndpoint) {
    return workerEndpoint + ".kv";
  }

  public static String newGatewayEndpoint() {
    return "tokenbus.gateway." + UUID.randomUUID();
  }
}
