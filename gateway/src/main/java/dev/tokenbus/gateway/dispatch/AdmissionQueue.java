package dev.tokenbus.gateway.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Requests waiting for a free slot, per model, first come first served, each queue bounded. Also
 * keeps the recent service time, to tell a refused client when to come back. Used on one context.
 *
 * @param <T> what waits
 */
final class AdmissionQueue<T> {

  /** Weight of the newest service time in the running mean. */
  private static final double EWMA = 0.2;

  private final int capacity;
  private final Map<String, ArrayDeque<T>> queues = new HashMap<>();
  private double meanServiceSeconds = 1.0;

  AdmissionQueue(int capacity) {
    this.capacity = capacity;
  }

  private static String key(String model) {
    return model == null ? "" : model;
  }

  /** Adds to the back; false when the model's queue is full. */
  boolean offer(String model, T item) {
    ArrayDeque<T> q = queues.computeIfAbsent(key(model), k -> new ArrayDeque<>());
    if (q.size() >= capacity) {
      return false;
    }
    q.addLast(item);
    return true;
  }

  /** Puts an item back at the front: it was first, and a retry found no slot after all. */
  void pushBack(String model, T item) {
    queues.computeIfAbsent(key(model), k -> new ArrayDeque<>()).addFirst(item);
  }

  T poll(String model) {
    ArrayDeque<T> q = queues.get(key(model));
    return q == null ? null : q.pollFirst();
  }

  int size(String model) {
    ArrayDeque<T> q = queues.get(key(model));
    return q == null ? 0 : q.size();
  }

  /** The models with someone waiting (null for "any model"). */
  Iterable<String> waitingModels() {
    return queues.entrySet().stream().filter(e -> !e.getValue().isEmpty())
        .map(e -> e.getKey().isEmpty() ? null : e.getKey()).toList();
  }

  /**
   * Removes the items {@code expired} says are over, then calls {@code onRemoved} for each, in queue
   * order: only once they are out, since what it runs (a failed request's listeners) may queue or
   * take items itself.
   */
  void removeIf(java.util.function.Predicate<T> expired, Consumer<T> onRemoved) {
    List<T> removed = new ArrayList<>();
    for (ArrayDeque<T> q : queues.values()) {
      q.removeIf(item -> expired.test(item) && removed.add(item));
    }
    removed.forEach(onRemoved);
  }

  void served(double seconds) {
    meanServiceSeconds = (1 - EWMA) * meanServiceSeconds + EWMA * seconds;
  }

  /** Seconds until the queue of {@code model} has likely moved enough: its length times the mean service time over the slots. */
  long retryAfterSeconds(String model, int slots) {
    double s = (size(model) + 1) * meanServiceSeconds / Math.max(1, slots);
    return Math.max(1, (long) Math.ceil(s));
  }
}
