package dev.tokenbus.cluster;

import com.hazelcast.core.EntryAdapter;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.MapEvent;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.MapClearedListener;
import com.hazelcast.multimap.MultiMap;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's entries in vertx-hazelcast's directory: its event-bus subscriptions in the Hazelcast
 * MultiMap {@value #MAP} (address → {@link RegistrationInfo} of each node listening there), what the
 * node has registered, what the directory holds, and a way to put back what went missing; and its
 * entry in the map {@value #NODE_INFO_MAP} (node id → event-bus host and port, without which no
 * other node can connect to it: "Not a member of the cluster"). The only class of tokenbus that
 * reaches into vertx-hazelcast's internals.
 *
 * <p>Why: vertx-hazelcast keeps a node's own registrations in a private field of its private
 * {@code SubsMapHelper} ({@code ownSubs}) and puts them back in the map only after a split-brain
 * merge; nothing public says which of them another Hazelcast member or client removed. Putting one
 * back must not race with the node's own registration and removal, which the helper does under the
 * read side of its private {@code republishLock}: {@link #putBack} holds the write side, as the
 * helper's own {@code republishOwnSubs} does. Checked against vertx-hazelcast 5.1.5
 * ({@code HazelcastClusterManager.subsMapHelper}, {@code SubsMapHelper.ownSubs} and
 * {@code SubsMapHelper.republishLock}). When another version lacks them, {@link #open} logs one WARN
 * and answers null: nothing is repaired, and nothing else changes.
 */
final class VertxSubscriptions {

  /** vertx-hazelcast's subscription directory. */
  static final String MAP = "__vertx.subs";
  /** vertx-hazelcast's map of each node's event-bus host and port. */
  static final String NODE_INFO_MAP = "__vertx.nodeInfo";
  static final String CHECKED_VERSION = "5.1.5";

  private static final Logger LOG = LoggerFactory.getLogger(VertxSubscriptions.class);
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private final MultiMap<String, HazelcastRegistrationInfo> map;
  private final IMap<String, Object> nodeInfos;
  private final Map<String, Set<RegistrationInfo>> own;
  private final ReadWriteLock lock;

  private VertxSubscriptions(MultiMap<String, HazelcastRegistrationInfo> map, IMap<String, Object> nodeInfos,
      Map<String, Set<RegistrationInfo>> own, ReadWriteLock lock) {
    this.map = map;
    this.nodeInfos = nodeInfos;
    this.own = own;
    this.lock = lock;
  }

  /**
   * The subscriptions of the node {@code manager} runs (after it joined), or null, with one WARN per
   * process, when vertx-hazelcast's internals are not those this class was checked against.
   */
  static VertxSubscriptions open(Object manager) {
    try {
      Object helper = field(manager, "subsMapHelper");
      @SuppressWarnings("unchecked")
      Map<String, Set<RegistrationInfo>> own = (Map<String, Set<RegistrationInfo>>) field(helper, "ownSubs");
      ReadWriteLock lock = (ReadWriteLock) field(helper, "republishLock");
      HazelcastInstance hz = ((HazelcastClusterManager) manager).getHazelcastInstance();
      return new VertxSubscriptions(hz.getMultiMap(MAP), hz.getMap(NODE_INFO_MAP), own, lock);
    } catch (ReflectiveOperationException | RuntimeException e) {
      if (WARNED.compareAndSet(false, true)) {
        LOG.warn("cannot watch this node's event-bus subscriptions: vertx-hazelcast's internals are not those of"
            + " version {} ({}); subscriptions that another process removes from the cluster directory ({})"
            + " will not be announced again", CHECKED_VERSION, e.toString(), MAP);
      }
      return null;
    }
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    if (owner == null) {
      throw new NoSuchFieldException(name + " (its owner is null)");
    }
    Field f = owner.getClass().getDeclaredField(name);
    f.setAccessible(true);
    Object value = f.get(owner);
    if (value == null) {
      throw new NoSuchFieldException(name + " is null");
    }
    return value;
  }

  /**
   * Listens to the directory, on Hazelcast's event threads: {@code removed} gets the address of each
   * entry removed that names node {@code nodeId} or whose value the event does not carry;
   * {@code cleared} runs when the whole map is cleared.
   *
   * @return the listener's id, for {@link #unwatch}
   */
  UUID watch(String nodeId, Consumer<String> removed, Runnable cleared) {
    return map.addEntryListener(new EntryAdapter<String, HazelcastRegistrationInfo>() {
      @Override
      public void entryRemoved(EntryEvent<String, HazelcastRegistrationInfo> event) {
        HazelcastRegistrationInfo value = event.getOldValue() != null ? event.getOldValue() : event.getValue();
        if (value == null || value.unwrap() == null || nodeId.equals(value.unwrap().nodeId())) {
          removed.accept(event.getKey());
        }
      }

      @Override
      public void mapCleared(MapEvent event) {
        cleared.run();
      }
    }, true);
  }

  void unwatch(UUID listener) {
    map.removeEntryListener(listener);
  }

  /**
   * Listens, on Hazelcast's event threads, for the removal of node {@code nodeId}'s entry in
   * {@value #NODE_INFO_MAP} and for clears of that map: {@code removed} runs for either.
   *
   * @return the listener's id, for {@link #unwatchNodeInfo}
   */
  UUID watchNodeInfo(String nodeId, Runnable removed) {
    return nodeInfos.addEntryListener(new NodeInfoListener(removed), nodeId, false);
  }

  void unwatchNodeInfo(UUID listener) {
    nodeInfos.removeEntryListener(listener);
  }

  /** Whether {@value #NODE_INFO_MAP} holds node {@code nodeId}'s entry. */
  boolean nodeInfoPublished(String nodeId) {
    return nodeInfos.containsKey(nodeId);
  }

  private record NodeInfoListener(Runnable removed)
      implements EntryRemovedListener<String, Object>, MapClearedListener {
    @Override
    public void entryRemoved(EntryEvent<String, Object> event) {
      removed.run();
    }

    @Override
    public void mapCleared(MapEvent event) {
      removed.run();
    }
  }

  /** A copy of what this node has registered now (not the local-only registrations, which never enter the map). */
  Map<String, List<RegistrationInfo>> registered() {
    Map<String, List<RegistrationInfo>> copy = new HashMap<>();
    own.forEach((address, infos) -> copy.put(address, new ArrayList<>(infos)));
    return copy;
  }

  /** What the directory holds for {@code address}, every node's. */
  List<RegistrationInfo> published(String address) {
    List<RegistrationInfo> out = new ArrayList<>();
    for (HazelcastRegistrationInfo h : map.get(address)) {
      out.add(h.unwrap());
    }
    return out;
  }

  /**
   * Puts back those of {@code missing} that this node still has registered and the directory still
   * lacks, while no registration or removal of this node can run.
   *
   * @return how many were put back
   */
  int putBack(Map<String, List<RegistrationInfo>> missing) {
    Lock write = lock.writeLock();
    write.lock();
    try {
      int n = 0;
      for (Map.Entry<String, List<RegistrationInfo>> e : missing.entrySet()) {
        Set<RegistrationInfo> now = own.get(e.getKey());
        for (RegistrationInfo info : e.getValue()) {
          if (now != null && now.contains(info)) {
            HazelcastRegistrationInfo entry = new HazelcastRegistrationInfo(info);
            if (!map.containsEntry(e.getKey(), entry) && map.put(e.getKey(), entry)) {
              n++;
            }
          }
        }
      }
      return n;
    } finally {
      write.unlock();
    }
  }
}
