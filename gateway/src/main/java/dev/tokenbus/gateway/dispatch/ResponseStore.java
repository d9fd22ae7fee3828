package dev.tokenbus.gateway.dispatch;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * The responses that OpenAI's Responses API keeps ({@code store: true}), each with the
 * conversation it ends, so that {@code previous_response_id}, {@code GET} and {@code DELETE} work
 * through any gateway. Entries belong to the tenant that made them ({@link StreamOwner}): another
 * tenant neither reads nor deletes them, and cannot tell them from missing ones. Each expires after
 * the store's time to live; the store is bounded in memory, dropping the least recently used entries
 * first, so an old conversation may be gone before its time.
 *
 * <p>In a cluster the entries live in a Hazelcast map ({@link #MAP}) partitioned over all members,
 * with one backup, bounded per member by the cluster's configuration; a standalone gateway keeps
 * them in memory, bounded by {@code maxBytes}.
 */
public interface ResponseStore {

  /** The Hazelcast map (through Vert.x's shared data) that holds a cluster's entries. */
  String MAP = dev.tokenbus.cluster.ClusterNode.RESPONSES_MAP;

  /** Stores {@code entry} under {@code id} for {@code owner}, replacing what was there. */
  Future<Void> put(String id, StreamOwner owner, JsonObject entry);

  /** The entry stored under {@code id}, or null when there is none or it is another owner's. */
  Future<JsonObject> get(String id, StreamOwner owner);

  /** Removes {@code owner}'s entry under {@code id}; true when there was one. */
  Future<Boolean> delete(String id, StreamOwner owner);

  /**
   * The cluster's store when {@code vertx} is clustered, else one in this process.
   *
   * @param ttlMs how long an entry lives after it was last stored
   * @param maxBytes a standalone store's bound on its entries' encoded size
   */
  static ResponseStore of(Vertx vertx, long ttlMs, long maxBytes) {
    return vertx.isClustered() ? new ClusterResponseStore(vertx, ttlMs) : new LocalResponseStore(ttlMs, maxBytes);
  }
}
