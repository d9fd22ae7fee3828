package dev.tokenbus.gateway.dispatch;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link ResponseStore} in this process, for a gateway without a cluster: entries in the order of
 * their last use, the least recently used dropped first once their encoded size passes
 * {@code maxBytes}, expired ones dropped when met.
 */
final class LocalResponseStore implements ResponseStore {

  private record Stored(StreamOwner owner, String entry, long expiresAtMs) {}

  private final long ttlMs;
  private final long maxBytes;
  private final LinkedHashMap<String, Stored> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  LocalResponseStore(long ttlMs, long maxBytes) {
    this.ttlMs = ttlMs;
    this.maxBytes = maxBytes;
  }

  @Override
  public synchronized Future<Void> put(String id, StreamOwner owner, JsonObject entry) {
    String encoded = entry.encode();
    remove(id);
    entries.put(id, new Stored(owner, encoded, System.currentTimeMillis() + ttlMs));
    bytes += size(id, encoded);
    Iterator<Map.Entry<String, Stored>> oldest = entries.entrySet().iterator();
    while (bytes > maxBytes && oldest.hasNext()) {
      Map.Entry<String, Stored> e = oldest.next();
      bytes -= size(e.getKey(), e.getValue().entry());
      oldest.remove();
    }
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<JsonObject> get(String id, StreamOwner owner) {
    Stored s = live(id);
    return Future.succeededFuture(s != null && s.owner().equals(owner) ? new JsonObject(s.entry()) : null);
  }

  @Override
  public synchronized Future<Boolean> delete(String id, StreamOwner owner) {
    Stored s = live(id);
    if (s == null || !s.owner().equals(owner)) {
      return Future.succeededFuture(false);
    }
    remove(id);
    return Future.succeededFuture(true);
  }

  /** The entry under {@code id} unless it expired (then it is dropped). */
  private Stored live(String id) {
    Stored s = entries.get(id);
    if (s != null && s.expiresAtMs() <= System.currentTimeMillis()) {
      remove(id);
      return null;
    }
    return s;
  }

  private void remove(String id) {
    Stored old = entries.remove(id);
    if (old != null) {
      bytes -= size(id, old.entry());
    }
  }

  /** What an entry costs: two bytes a char, as the JVM may hold them. */
  private static long size(String id, String entry) {
    return 2L * (id.length() + entry.length());
  }
}
