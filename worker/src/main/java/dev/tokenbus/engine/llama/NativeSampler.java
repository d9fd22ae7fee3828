package dev.tokenbus.engine.llama;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * One sequence's llama.cpp sampler chain: penalties, then top-k, top-p, min-p, temperature and a
 * seeded draw; or penalties then greedy when the temperature is 0. The chain keeps the state that
 * penalties and the random generator need, so each sequence has its own.
 */
public final class NativeSampler implements AutoCloseable {

  /** The sampling settings of one sequence. {@code topK} 0, {@code topP} 1 and {@code minP} 0 disable those stages. */
  public record Settings(float temperature, int topK, float topP, float minP, long seed, float repeatPenalty,
      int repeatLastN, float frequencyPenalty, float presencePenalty) {

    boolean penalises() {
      return repeatPenalty != 1.0f || frequencyPenalty != 0.0f || presencePenalty != 0.0f;
    }
  }

  private final LlamaApi api;
  private final MemorySegment chain;
  private boolean closed;

  public NativeSampler(NativeContext context, Settings s) {
    this.api = context.api();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment params = (MemorySegment) api.samplerChainDefaultParams.invokeExact((SegmentAllocator) arena);
      this.chain = (MemorySegment) api.samplerChainInit.invokeExact(params);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_chain_init failed: " + t, t);
    }
    try {
      if (s.penalises()) {
        add((MemorySegment) api.samplerInitPenalties.invokeExact(s.repeatLastN(), s.repeatPenalty(),
            s.frequencyPenalty(), s.presencePenalty()));
      }
      if (s.temperature() <= 0.0f) {
        add((MemorySegment) api.samplerInitGreedy.invokeExact());
        return;
      }
      if (s.topK() > 0) {
        add((MemorySegment) api.samplerInitTopK.invokeExact(s.topK()));
      }
      if (s.topP() < 1.0f) {
        add((MemorySegment) api.samplerInitTopP.invokeExact(s.topP(), 1L));
      }
      if (s.minP() > 0.0f) {
        add((MemorySegment) api.samplerInitMinP.invokeExact(s.minP(), 1L));
      }
      add((MemorySegment) api.samplerInitTemp.invokeExact(s.temperature()));
      // llama.cpp seeds with a uint32; LLAMA_DEFAULT_SEED (0xFFFFFFFF) would mean "random", so callers resolve seeds first.
      add((MemorySegment) api.samplerInitDist.invokeExact((int) s.seed()));
    } catch (Throwable t) {
      close();
      throw new LlamaException("could not build the sampler chain: " + t, t);
    }
  }

  private void add(MemorySegment sampler) throws Throwable {
    api.samplerChainAdd.invokeExact(chain, sampler);
  }

  /** Samples from the logits of batch entry {@code index} of the last decode, and records the choice. */
  public int sample(NativeContext context, int index) {
    try {
      return (int) api.samplerSample.invokeExact(chain, context.handle(), index);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_sample failed: " + t, t);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      api.samplerFree.invokeExact(chain);
    } catch (Throwable t) {
      throw new LlamaException("llama_sampler_free failed: " + t, t);
    }
  }
}
