package dev.tokenbus.engine;

/**
 * A snapshot of the engine, taken by the decode thread after every step (so it is never torn).
 *
 * @param slots sequences the engine can hold at once
 * @param active sequences holding a slot (queued, prompt, generating or paused)
 * @param prompt sequences processing their prompt
 * @param running sequences that took part in the last step as generators
 * @param paused sequences left out because their sink is full
 * @param kvCellsUsed KV cells in use, as llama.cpp counts them
 * @param kvCellsTotal KV cells in the context
 * @param steps decode steps so far
 * @param tokensGenerated tokens sampled so far, all sequences
 * @param stepTokens tokens in the decode step now running, 0 between steps
 */
public record EngineStats(int slots, int active, int prompt, int running, int paused, int kvCellsUsed,
    int kvCellsTotal, long steps, long tokensGenerated, int stepTokens) {

  public int freeSlots() {
    return slots - active;
  }
}
