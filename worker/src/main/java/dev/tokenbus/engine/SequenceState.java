package dev.tokenbus.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A running generation's state as copied for another worker ({@link Engine#copyState}): its KV
 * cells in llama.cpp's own format, in native memory until {@link #close}, and the tokens those
 * cells hold.
 *
 * <p>Nothing else of the sequence travels, because nothing else needs to: its sampler (random
 * generator, penalty history, grammar), its stop-sequence matcher and its UTF-8 carry are functions
 * of the request, the seed and the tokens streamed, and the adopting engine rebuilds them from those
 * (see {@link Engine#reserveAdoption}). llama.cpp's random generator is not reachable through its C
 * API, but its draw stage draws exactly once per sampled token, so replaying the count is exact.
 *
 * @param generationId the generation's request id
 * @param tokens what the cells hold, position by position: the prompt, then the tokens generated
 *     and already decoded (the last token sampled is not decoded yet and is not among them)
 * @param promptTokens how many of {@code tokens} are the prompt proper
 * @param seed the seed the generation samples with (the one the engine chose when the request named none)
 * @param kv the cells, as {@code llama_state_seq_get_data} wrote them
 */
public record SequenceState(String generationId, int[] tokens, int promptTokens, long seed, MemorySegment kv,
    Arena arena) implements AutoCloseable {

  /** Bytes of KV state. */
  public long bytes() {
    return kv.byteSize();
  }

  /** Frees the native copy. */
  @Override
  public void close() {
    if (arena.scope().isAlive()) {
      arena.close();
    }
  }
}
