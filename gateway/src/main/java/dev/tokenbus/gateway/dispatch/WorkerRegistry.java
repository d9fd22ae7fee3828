package dev.tokenbus.gateway.dispatch;

import dev.tokenbus.protocol.WorkerStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The workers a gateway knows, from their announcements. An entry is dropped when its node leaves
 * the cluster or when the worker has been silent for longer than the expiry. A worker whose address
 * had no handler although it still announces itself is {@link #unreachable} until it answers
 * again: it stays listed, and is not chosen. It keeps membership and status only: which of the
 * eligible workers a request goes to is the {@link DispatchPolicy}'s choice. Used on one context.
 */
public final class WorkerRegistry {

  /** @param unreachable why the worker cannot be reached now, or null */
  private record Entry(WorkerStatus status, long seenNanos, String unreachable) {}

  private final Map<String, Entry> workers = new HashMap<>();
  private final long expiryNanos;
  private volatile long announcements;
  private volatile long announcementBytes;

  public WorkerRegistry(long expiryMs) {
    this.expiryNanos = expiryMs * 1_000_000L;
  }

  /** Counts an announcement that arrived, of {@code bytes} on the wire (whether or not it is taken). */
  public void received(int bytes) {
    announcements++;
    announcementBytes += bytes;
  }

  /** Announcements that arrived since this registry was made. */
  public long announcements() {
    return announcements;
  }

  /** Their bytes on the wire. */
  public long announcementBytes() {
    return announcementBytes;
  }

  /** Takes an announcement; an older one than what is known is ignored. */
  public void update(WorkerStatus s) {
    Entry known = workers.get(s.workerId());
    if (known == null || s.sequence() > known.status().sequence()) {
      // An announcement is published to every gateway: it says nothing of whether the worker's own address answers.
      workers.put(s.workerId(), new Entry(s, System.nanoTime(), known == null ? null : known.unreachable()));
    }
  }

  /**
   * Marks a listed worker unreachable, for {@code reason}: it is not chosen, and stays so until
   * {@link #reachable}.
   *
   * @return whether it is listed and was reachable until now
   */
  public boolean unreachable(String workerId, String reason) {
    Entry e = workers.get(workerId);
    if (e == null || e.unreachable() != null) {
      return false;
    }
    workers.put(workerId, new Entry(e.status(), e.seenNanos(), reason));
    return true;
  }

  /**
   * Marks a listed worker reachable again.
   *
   * @return whether it is listed and was unreachable until now
   */
  public boolean reachable(String workerId) {
    Entry e = workers.get(workerId);
    if (e == null || e.unreachable() == null) {
      return false;
    }
    workers.put(workerId, new Entry(e.status(), e.seenNanos(), null));
    return true;
  }

  /** Why a listed worker is unreachable, or null when it is reachable or not listed. */
  public String unreachableReason(String workerId) {
    Entry e = workers.get(workerId);
    return e == null ? null : e.unreachable();
  }

  /** The listed workers marked unreachable. */
  public List<String> unreachable() {
    expire();
    return workers.values().stream().filter(e -> e.unreachable() != null).map(e -> e.status().workerId()).toList();
  }

  /** Why this gateway cannot dispatch any generation now (no worker is known, or none is reachable), or null. */
  public String notReady() {
    Collection<WorkerStatus> known = all();
    if (known.isEmpty()) {
      return "no worker is reachable";
    }
    int unreachable = unreachable().size();
    return unreachable < known.size() ? null : "no worker is reachable: the " + unreachable + " known worker(s) have no"
        + " handler at their event-bus address (their subscriptions vanished from the cluster directory); probing them";
  }

  public void remove(String workerId) {
    workers.remove(workerId);
  }

  public void removeNode(String nodeId) {
    workers.values().removeIf(e -> nodeId.equals(e.status().nodeId()));
  }

  /**
   * Workers that may take a request for {@code model} (null: any model): listed, reachable and not
   * draining, in no particular order ({@link DispatchPolicy} orders them). Workers that announced no
   * free slot are included, because a slot may have freed since.
   */
  public List<WorkerStatus> eligible(String model) {
    expire();
    List<WorkerStatus> out = new ArrayList<>();
    for (Entry e : workers.values()) {
      WorkerStatus s = e.status();
      if (!s.draining() && e.unreachable() == null && (model == null || model.equals(s.model()))) {
        out.add(s);
      }
    }
    return out;
  }

  /** The model a known worker serves, or null when it is not known. */
  public String modelOf(String workerId) {
    Entry e = workerId == null ? null : workers.get(workerId);
    return e == null ? null : e.status().model();
  }

  /** The models live workers serve, each once, sorted. */
  public List<String> models() {
    return all().stream().map(WorkerStatus::model).filter(java.util.Objects::nonNull).distinct().sorted().toList();
  }

  /** Whether every worker serving {@code model} runs the simulated engine (and one does). */
  public boolean simulated(String model) {
    List<WorkerStatus> serving = all().stream().filter(w -> model.equals(w.model())).toList();
    return !serving.isEmpty() && serving.stream().allMatch(WorkerStatus::simulated);
  }

  public Collection<WorkerStatus> all() {
    expire();
    return workers.values().stream().map(Entry::status).toList();
  }

  /** Tells a gateway's view that a worker took one more slot, until its next announcement. */
  public void reserved(String workerId) {
    Entry e = workers.get(workerId);
    if (e != null) {
      WorkerStatus s = e.status();
      workers.put(workerId, new Entry(s.withActive(1), e.seenNanos(), e.unreachable()));
    }
  }

  private void expire() {
    long now = System.nanoTime();
    workers.values().removeIf(e -> now - e.seenNanos() > expiryNanos);
  }

  /**
   * Why no worker can take a request for {@code model} (null: any): the model is unknown, no worker
   * is there, or those there are unreachable.
   */
  RuntimeException noCandidate(String model) {
    expire();
    long unreachable = workers.values().stream()
        .filter(e -> e.unreachable() != null && (model == null || model.equals(e.status().model()))).count();
    if (unreachable > 0) {
      return new NoWorkerException("no worker is reachable: " + unreachable + " worker(s)"
          + (model == null ? "" : " of model '" + model + "'") + " have no handler at their event-bus address");
    }
    boolean otherModelsServed = model != null && all().stream().anyMatch(w -> !model.equals(w.model()));
    return otherModelsServed ? new ModelNotFoundException(model)
        : new NoWorkerException(model == null ? "no worker is available" : "no worker serves model '" + model + "'");
  }
}
