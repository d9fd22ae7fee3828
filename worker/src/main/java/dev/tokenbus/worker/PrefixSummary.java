package dev.tokenbus.worker;

import dev.tokenbus.protocol.PrefixHashes;
import dev.tokenbus.protocol.WorkerStatus;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What this worker announces of its prefix cache: the {@link PrefixHashes} of the requests whose KV
 * cells the engine keeps. The engine keeps the cells of at most one sequence per slot and evicts the
 * least recently used, so this keeps the hashes of the last {@code slots} sequences (running ones
 * and finished ones, the most recent first), each finished one as the request followed by its reply.
 * It mirrors the engine's cache approximately (the engine may give a slot to a sequence that shares
 * only part of another's prefix); dispatch uses it as a hint, and the engine's token comparison
 * decides what is reused. Event-loop only.
 */
final class PrefixSummary {

  private final int entries;
  private final LinkedHashMap<String, long[]> recent = new LinkedHashMap<>(16, 0.75f, true);

  /** @param entries sequences remembered: the engine's slots */
  PrefixSummary(int entries) {
    this.entries = entries;
  }

  /**
   * A sequence started, or ended ({@code hashes} then cover its reply too); it becomes the most
   * recent. An earlier sequence whose hashes are a prefix of these is dropped: the engine gives the
   * new sequence that one's slot (the next turn of a conversation takes over the last one's cells).
   */
  void put(String streamId, long[] hashes) {
    recent.remove(streamId);
    recent.values().removeIf(h -> h.length > 0 && h.length <= hashes.length && h[h.length - 1] == hashes[h.length - 1]);
    recent.put(streamId, hashes);
    while (recent.size() > entries) {
      Iterator<Map.Entry<String, long[]>> it = recent.entrySet().iterator();
      it.next();
      it.remove();
    }
  }

  /** A sequence whose cells the engine frees at its end (it opted out of the cache). */
  void remove(String streamId) {
    recent.remove(streamId);
  }

  /** The hashes to announce, the most recent sequences' first, at most {@link WorkerStatus#MAX_PREFIX_BLOCKS}. */
  Set<Long> blocks() {
    Set<Long> out = new LinkedHashSet<>();
    List<long[]> newestFirst = List.copyOf(recent.values()).reversed();
    for (long[] hashes : newestFirst) {
      for (long h : hashes) {
        if (out.size() == WorkerStatus.MAX_PREFIX_BLOCKS) {
          return out;
        }
        out.add(h);
      }
    }
    return out;
  }
}
