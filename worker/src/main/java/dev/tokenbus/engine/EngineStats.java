package dev.tokenbus.engine;

/**
 * A snapshot of the engine, taken by the decode thread after every step (so it is never torn),
 * but for {@code active}, which the engine reads when asked: slots are reserved on the callers'
 * threads, and a step can last long (a long prompt, a simulated second).
 *
 * @param slots sequences the engine can hold at once
 * @param active sequences holding a slot (queued, prompt, generating or paused; a state in transfer)
 * @param prompt sequences processing their prompt
 * @param running sequences that took part in the last step as generators
 * @param paused sequences left out because their sink is full
 * @param kvCellsUsed KV cells held by sequences that hold a slot (cached cells of idle slots are not
 *     counted: the next sequence that takes the slot reclaims them)
 * @param kvCellsCached KV cells idle slots keep for the prefix cache
 * @param kvCellsTotal KV cells in the context
 * @param steps decode steps so far
 * @param tokensGenerated tokens sampled so far, all sequences
 * @param stepTokens tokens in the decode step now running, 0 between steps
 * @param prefixQueryTokens prompt tokens of every sequence started so far (prefix-cache queries)
 * @param prefixHitTokens of those, tokens taken from cached KV cells instead of computed
 */
public record EngineStats(int slots, int active, int prompt, int running, int paused, int kvCellsUsed,
    int kvCellsCached, int kvCellsTotal, long steps, long tokensGenerated, int stepTokens, long prefixQueryTokens,
    long prefixHitTokens) {

  /** The same snapshot with {@code n} slots held. */
  public EngineStats withActive(int n) {
    return new EngineStats(slots, n, prompt, running, paused, kvCellsUsed, kvCellsCached, kvCellsTotal, steps,
        tokensGenerated, stepTokens, prefixQueryTokens, prefixHitTokens);
  }

  public int freeSlots() {
    return slots - active;
  }
}
