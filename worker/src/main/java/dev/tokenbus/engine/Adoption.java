package dev.tokenbus.engine;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletionStage;

/**
 * A slot reserved for a sequence state from another worker ({@link Engine#reserveAdoption}). The
 * reservation holds one of the engine's slots from the start, so that a transfer is never wasted on
 * an engine that fills up meanwhile; {@link #release} gives it back, {@link #adopt} loads the state.
 * Thread-safe; exactly one of the two takes effect.
 */
public interface Adoption {

  /**
   * Loads {@code kv} into the reserved slot and keeps it for the generation {@code requestId}, which
   * is expected to be submitted with {@link Engine#submit(dev.tokenbus.protocol.GenerationRequest,
   * java.util.List, TokenSink) resume}: that submit takes the slot, reuses the cells its tokens share
   * with {@code tokens}, and replays its sampler by token instead of by logits. Unclaimed after
   * {@code holdMs}, the slot is released and its cells stay as an ordinary prefix-cache entry.
   * The caller may free {@code kv} once the stage completes.
   *
   * @param tokens the tokens the cells hold, position by position
   * @param seed the seed the generation sampled with, used when the resuming request names none
   * @return completes when the cells are loaded; fails when llama.cpp refuses them (the slot is released then)
   */
  CompletionStage<Void> adopt(int[] tokens, long seed, MemorySegment kv, long holdMs);

  /** Gives the slot back without loading anything; does nothing after {@link #adopt}. */
  void release();
}
