package dev.tokenbus.engine;

/**
 * Which tokens each slot's KV cells hold, and which slot a new sequence takes. Slot {@code i} is
 * llama.cpp sequence {@code i}. When a sequence ends its cells stay in its slot (cached) until the
 * slot is taken again; a new sequence takes the idle slot whose cached tokens share the longest
 * prefix with its own, keeps that many cells and prefills only the rest.
 *
 * <p>The slot rule: among idle slots, the longest shared prefix wins (ties: the slot that loses the
 * fewest cached tokens, then the least recently used). When that prefix is empty, or covers less than
 * half of the slot's cached tokens while an empty idle slot exists, the sequence takes an empty slot
 * (or, with none, the least recently used one) and starts cold: a short common prefix (a BOS token,
 * a chat template's first marker) is not worth destroying another conversation's cache.
 *
 * <p>Not thread-safe: only the decode thread uses it. The counters it exposes are read by
 * {@link DecodeLoop} when it publishes {@link EngineStats}.
 */
final class PrefixCache {

  /** The slot a sequence was given and how many of its leading tokens are already in that slot's cells. */
  record Lease(int slot, int reused) {}

  private final int[][] tokens;
  private final int[] length;
  private final boolean[] busy;
  private final long[] lastUsed;
  private final boolean enabled;
  private long clock;
  private long queries;
  private long hits;

  /**
   * @param slots sequences the context holds
   * @param capacity KV cells per sequence (the longest token run a slot can hold)
   * @param enabled false: every sequence starts cold and no cells outlive their sequence
   */
  PrefixCache(int slots, int capacity, boolean enabled) {
    this.tokens = new int[slots][capacity];
    this.length = new int[slots];
    this.busy = new boolean[slots];
    this.lastUsed = new long[slots];
    this.enabled = enabled;
  }

  boolean enabled() {
    return enabled;
  }

  /**
   * Gives a new sequence a slot; the caller must have a free one (admission guarantees it).
   *
   * @param prompt the tokens the sequence processes before sampling
   * @param maxReuse the most leading tokens it may take from the cache (at most {@code prompt.length - 1},
   *     so the last one is evaluated again and gives logits to sample from)
   * @param reuse false for a request that opted out ({@code cache_prompt: false})
   */
  Lease acquire(int[] prompt, int maxReuse, boolean reuse) {
    int best = -1;
    int bestShared = 0;
    int empty = -1;
    int lru = -1;
    for (int i = 0; i < busy.length; i++) {
      if (busy[i]) {
        continue;
      }
      if (length[i] == 0 && empty < 0) {
        empty = i;
      }
      if (lru < 0 || lastUsed[i] < lastUsed[lru]) {
        lru = i;
      }
      int shared = enabled && reuse ? Math.min(sharedPrefix(tokens[i], length[i], prompt), Math.max(0, maxReuse)) : 0;
      if (shared > 0 && (best < 0 || shared > bestShared
          || shared == bestShared && (length[i] - shared < length[best] - bestShared
              || length[i] - shared == length[best] - bestShared && lastUsed[i] < lastUsed[best]))) {
        best = i;
        bestShared = shared;
      }
    }
    if (lru < 0) {
      throw new IllegalStateException("no idle slot: admission let in more sequences than slots");
    }
    queries += prompt.length;
    int slot;
    int reused;
    if (best >= 0 && !(empty >= 0 && bestShared * 2L < length[best])) {
      slot = best;
      reused = bestShared;
    } else {
      slot = empty >= 0 ? empty : lru;
      reused = 0;
    }
    hits += reused;
    busy[slot] = true;
    length[slot] = reused;
    return new Lease(slot, reused);
  }

  /**
   * Takes an idle slot for cells that come from elsewhere (an adopted sequence state): an empty one,
   * else the least recently used; the caller replaces its cells and records them with
   * {@link #decoded(int, int[], int, int)}. The slot stays busy until {@link #release}d or taken
   * over with {@link #reacquire}.
   */
  int claimIdle() {
    int lru = -1;
    for (int i = 0; i < busy.length; i++) {
      if (busy[i]) {
        continue;
      }
      if (length[i] == 0) {
        lru = i;
        break;
      }
      if (lru < 0 || lastUsed[i] < lastUsed[lru]) {
        lru = i;
      }
    }
    if (lru < 0) {
      throw new IllegalStateException("no idle slot: admission let in more sequences than slots");
    }
    busy[lru] = true;
    length[lru] = 0;
    return lru;
  }

  /**
   * Gives a new sequence a slot it was kept (an adopted state): like {@link #acquire}, but that slot
   * whatever it shares, and cached cells count as reused whether or not the cache is enabled.
   */
  Lease reacquire(int slot, int[] prompt, int maxReuse) {
    int reused = Math.min(sharedPrefix(tokens[slot], length[slot], prompt), Math.max(0, maxReuse));
    queries += prompt.length;
    hits += reused;
    length[slot] = reused;
    return new Lease(slot, reused);
  }

  /** The tokens a slot's cells hold (its first {@link #length} entries); do not modify. */
  int[] tokens(int slot) {
    return tokens[slot];
  }

  /** The cache could not cut the slot's cells after all: the sequence starts cold. */
  void reuseFailed(Lease lease) {
    hits -= lease.reused();
    length[lease.slot()] = 0;
  }

  /** Tokens a slot's cells hold now (its busy sequence's decoded tokens, or what it cached). */
  int length(int slot) {
    return length[slot];
  }

  /** Records that the cells at positions {@code from..from+n-1} of a slot now hold {@code src[from..]}. */
  void decoded(int slot, int[] src, int from, int n) {
    int end = Math.min(from + n, tokens[slot].length);
    if (end > from) {
      System.arraycopy(src, from, tokens[slot], from, end - from);
    }
    length[slot] = Math.max(0, end);
  }

  /** Records that the cell at {@code position} of a slot now holds {@code token}. */
  void decoded(int slot, int position, int token) {
    if (position < tokens[slot].length) {
      tokens[slot][position] = token;
      length[slot] = position + 1;
    }
  }

  /**
   * Ends a slot's sequence.
   *
   * @param keep whether its cells stay for later sequences (else the caller frees them)
   * @return whether the caller must free the slot's cells now
   */
  boolean release(int slot, boolean keep) {
    busy[slot] = false;
    lastUsed[slot] = ++clock;
    if (keep && enabled && length[slot] > 0) {
      return false;
    }
    length[slot] = 0;
    return true;
  }

  /** Prompt tokens of every sequence acquired so far (the prefix-cache queries). */
  long queries() {
    return queries;
  }

  /** Of those, tokens taken from cached cells instead of computed (the hits). */
  long hits() {
    return hits;
  }

  /** Idle slots whose cells hold cached tokens, and how many tokens they hold together. */
  long cachedTokens() {
    long n = 0;
    for (int i = 0; i < busy.length; i++) {
      if (!busy[i]) {
        n += length[i];
      }
    }
    return n;
  }

  private static int sharedPrefix(int[] cached, int cachedLength, int[] prompt) {
    int n = Math.min(cachedLength, prompt.length);
    int i = 0;
    while (i < n && cached[i] == prompt[i]) {
      i++;
    }
    return i;
  }
}
