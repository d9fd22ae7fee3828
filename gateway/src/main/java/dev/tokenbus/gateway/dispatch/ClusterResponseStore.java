package dev.tokenbus.gateway.dispatch;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;

/**
 * {@link ResponseStore} on the cluster's map {@link ResponseStore#MAP}: entries are stored as
 * encoded JSON with their owner's digest, and expire by Hazelcast's time to live.
 */
final class ClusterResponseStore implements ResponseStore {

  private static final String OWNER = "owner";
  private static final String ENTRY = "entry";

  private final Future<AsyncMap<String, String>> map;
  private final long ttlMs;

  ClusterResponseStore(Vertx vertx, long ttlMs) {
    this.map = vertx.sharedData().<String, String>getAsyncMap(MAP);
    this.ttlMs = ttlMs;
  }

  @Override
  public Future<Void> put(String id, StreamOwner owner, JsonObject entry) {
    String value = new JsonObject().put(OWNER, owner.wire()).put(ENTRY, entry).encode();
    return map.compose(m -> m.put(id, value, ttlMs));
  }

  @Override
  public Future<JsonObject> get(String id, StreamOwner owner) {
    return map.compose(m -> m.get(id)).map(value -> owned(value, owner));
  }

  @Override
  public Future<Boolean> delete(String id, StreamOwner owner) {
    // Read, check the owner, then remove only that same value (another tenant's write in between wins).
    return map.compose(m -> m.get(id).compose(value -> owned(value, owner) == null ? Future.succeededFuture(false)
        : m.removeIfPresent(id, value)));
  }

  private static JsonObject owned(String value, StreamOwner owner) {
    if (value == null) {
      return null;
    }
    JsonObject stored = new JsonObject(value);
    StreamOwner of = StreamOwner.fromWire(stored.getString(OWNER));
    return of != null && of.equals(owner) ? stored.getJsonObject(ENTRY) : null;
  }
}
