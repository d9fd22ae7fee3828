package dev.tokenbus.protocol;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;

/**
 * What a worker announces about itself: once a second, and soon after anything dispatch reads changes
 * (see {@link #newsSince}).
 *
 * @param workerId the worker's endpoint address, which is also its id
 * @param nodeId the cluster node it runs on
 * @param model the name it serves its model under
 * @param slots generations it can run at once
 * @param active slots in use
 * @param running generations that took part in the last decode step
 * @param paused generations waiting for their consumer
 * @param prompt generations processing their prompt
 * @param kvUsed KV cells in use
 * @param kvTotal KV cells in all
 * @param contextPerSequence tokens (prompt and output) one generation may hold
 * @param draining the worker is shutting down and takes no new generation
 * @param sequence increases with every announcement, so that a stale one is recognised
 * @param prefixBlocks what its prefix cache holds, as {@link dev.tokenbus.protocol.PrefixHashes} of
 *     the cached requests (at most {@link #MAX_PREFIX_BLOCKS}; empty with the cache off)
 * @param stateFormat what a running sequence's KV state must match for this worker to adopt it in
 *     a handoff (the llama.cpp release, the KV layout and the model file's SHA-256), or null when it
 *     adopts none (its model's hash is not known yet, or it is draining)
 * @param simulated its engine is the simulated one ({@code --model simulated}): no model, made-up text
 * @param embeddingSize the length of the embeddings it computes ({@link Addresses#embeddings}), or 0
 *     when it computes none (the simulated engine; a worker of a version before embeddings announces none)
 */
public record WorkerStatus(String workerId, String nodeId, String model, int slots, int active, int running,
    int paused, int prompt, int kvUsed, int kvTotal, int contextPerSequence, boolean draining, long sequence,
    Set<Long> prefixBlocks, String stateFormat, boolean simulated, int embeddingSize) {

  /** Most prefix-block hashes one announcement carries (about 20 bytes of JSON each). */
  public static final int MAX_PREFIX_BLOCKS = 1024;

  public WorkerStatus {
    prefixBlocks = prefixBlocks == null ? Set.of() : Set.copyOf(prefixBlocks);
  }

  /** A worker that computes no embeddings. */
  public WorkerStatus(String workerId, String nodeId, String model, int slots, int active, int running,
      int paused, int prompt, int kvUsed, int kvTotal, int contextPerSequence, boolean draining, long sequence,
      Set<Long> prefixBlocks, String stateFormat, boolean simulated) {
    this(workerId, nodeId, model, slots, active, running, paused, prompt, kvUsed, kvTotal, contextPerSequence,
        draining, sequence, prefixBlocks, stateFormat, simulated, 0);
  }

  /** A worker on a real model. */
  public WorkerStatus(String workerId, String nodeId, String model, int slots, int active, int running,
      int paused, int prompt, int kvUsed, int kvTotal, int contextPerSequence, boolean draining, long sequence,
      Set<Long> prefixBlocks, String stateFormat) {
    this(workerId, nodeId, model, slots, active, running, paused, prompt, kvUsed, kvTotal, contextPerSequence,
        draining, sequence, prefixBlocks, stateFormat, false);
  }

  /** A worker that adopts no sequence states. */
  public WorkerStatus(String workerId, String nodeId, String model, int slots, int active, int running,
      int paused, int prompt, int kvUsed, int kvTotal, int contextPerSequence, boolean draining, long sequence,
      Set<Long> prefixBlocks) {
    this(workerId, nodeId, model, slots, active, running, paused, prompt, kvUsed, kvTotal, contextPerSequence,
        draining, sequence, prefixBlocks, null);
  }

  /** The same status under another announcement number. */
  public WorkerStatus withSequence(long n) {
    return new WorkerStatus(workerId, nodeId, model, slots, active, running, paused, prompt, kvUsed, kvTotal,
        contextPerSequence, draining, n, prefixBlocks, stateFormat, simulated, embeddingSize);
  }

  /** The same status with {@code n} more active sequences (a gateway's view after it sent work). */
  public WorkerStatus withActive(int n) {
    return new WorkerStatus(workerId, nodeId, model, slots, active + n, running, paused, prompt, kvUsed, kvTotal,
        contextPerSequence, draining, sequence, prefixBlocks, stateFormat, simulated, embeddingSize);
  }

  /**
   * Whether this status tells gateways something {@code earlier} did not: anything dispatch reads
   * (slots, active, draining, the prefix blocks, the state format...) changed, or one of the load
   * figures it only reports ({@code running}, {@code paused}, {@code prompt}, {@code kvUsed}) became
   * or stopped being zero. Their other changes ride with the next announcement; a worker whose
   * sequences advance every step would otherwise announce at every check.
   */
  public boolean newsSince(WorkerStatus earlier) {
    return earlier == null || !equals(earlier.withSequence(sequence).withLoad(running, paused, prompt, kvUsed))
        || (running == 0) != (earlier.running == 0) || (paused == 0) != (earlier.paused == 0)
        || (prompt == 0) != (earlier.prompt == 0) || (kvUsed == 0) != (earlier.kvUsed == 0);
  }

  private WorkerStatus withLoad(int running, int paused, int prompt, int kvUsed) {
    return new WorkerStatus(workerId, nodeId, model, slots, active, running, paused, prompt, kvUsed, kvTotal,
        contextPerSequence, draining, sequence, prefixBlocks, stateFormat, simulated, embeddingSize);
  }

  public int freeSlots() {
    return draining ? 0 : Math.max(0, slots - active);
  }

  public JsonObject toJson() {
    return new JsonObject().put("worker_id", workerId).put("node_id", nodeId).put("model", model).put("slots", slots)
        .put("active", active).put("running", running).put("paused", paused).put("prompt", prompt)
        .put("kv_used", kvUsed).put("kv_total", kvTotal).put("context_per_sequence", contextPerSequence)
        .put("draining", draining).put("sequence", sequence)
        .put("prefix_blocks", new JsonArray(new java.util.ArrayList<>(prefixBlocks))).put("state_format", stateFormat)
        .put("simulated", simulated).put("embedding_size", embeddingSize);
  }

  /** The form announcements travel in: this status's JSON, encoded once by the worker that publishes it. */
  public Buffer toWire() {
    return toJson().toBuffer();
  }

  /**
   * An announcement as received: the JSON {@link #toWire} encoded, or a {@link JsonObject} (a sender
   * in this process may publish the object itself).
   *
   * @throws RuntimeException when it is neither, or not a status
   */
  public static WorkerStatus fromWire(Object body) {
    return fromJson(body instanceof Buffer b ? new JsonObject(b) : (JsonObject) body);
  }

  /** The size of an announcement as received, in bytes of JSON. */
  public static int wireSize(Object body) {
    return body instanceof Buffer b ? b.length() : ((JsonObject) body).toBuffer().length();
  }

  public static WorkerStatus fromJson(JsonObject j) {
    return new WorkerStatus(j.getString("worker_id"), j.getString("node_id"), j.getString("model"),
        j.getInteger("slots", 0), j.getInteger("active", 0), j.getInteger("running", 0), j.getInteger("paused", 0),
        j.getInteger("prompt", 0), j.getInteger("kv_used", 0), j.getInteger("kv_total", 0),
        j.getInteger("context_per_sequence", 0), j.getBoolean("draining", false), j.getLong("sequence", 0L),
        prefixBlocks(j.getJsonArray("prefix_blocks")), j.getString("state_format"), j.getBoolean("simulated", false),
        Math.max(0, j.getInteger("embedding_size", 0)));
  }

  private static Set<Long> prefixBlocks(JsonArray a) {
    Set<Long> out = new HashSet<>();
    if (a != null) {
      for (int i = 0; i < a.size() && i < MAX_PREFIX_BLOCKS; i++) {
        if (a.getValue(i) instanceof Number n) {
          out.add(n.longValue());
        }
      }
    }
    return out;
  }
}
