package dev.tokenbus.engine;

import dev.tokenbus.engine.llama.FlashAttention;
import dev.tokenbus.engine.llama.LlamaRelease;
import dev.tokenbus.engine.llama.Pooling;
import java.nio.file.Path;

/**
 * How a worker runs its model.
 *
 * @param model the GGUF file
 * @param slots sequences decoded together (llama.cpp's n_seq_max)
 * @param contextPerSequence KV cells per sequence, prompt included; 0 takes the model's training
 *     context, capped at 4096. The context holds slots × this many cells.
 * @param batchSize most tokens in one decode step (n_batch)
 * @param microBatchSize most tokens llama.cpp computes at once inside a step (n_ubatch)
 * @param prefillChunk most prompt tokens one sequence adds to a step, so that long prompts share
 *     steps with running sequences instead of stalling them
 * @param threads CPU threads for decoding; 0 picks half the cores (small models decode faster on few threads)
 * @param gpuLayers layers to offload to the GPU; -1 means all
 * @param nativeLibrary a llama.cpp library file to use instead of the bundled one, or null
 * @param llamaProfile the llama.cpp release to drive, or null for auto (v0.5.0, falling back to b4916
 *     when that cannot be had); see {@link dev.tokenbus.engine.llama.Llama#open}
 * @param prefixCache whether a sequence's KV cells stay in its slot after it ends, for a later prompt
 *     sharing its prefix to reuse (see {@link PrefixCache})
 * @param flashAttention whether attention uses llama.cpp's fused flash-attention kernel (see {@link FlashAttention})
 * @param pooling how embeddings pool a sequence's hidden states, or null for the model's own
 *     ({@code <architecture>.pooling_type} in its GGUF file; mean where it declares none)
 */
public record EngineConfig(Path model, int slots, int contextPerSequence, int batchSize, int microBatchSize,
    int prefillChunk, int threads, int gpuLayers, Path nativeLibrary, LlamaRelease llamaProfile, boolean prefixCache,
    FlashAttention flashAttention, Pooling pooling) {

  public static EngineConfig forModel(Path model) {
    return new EngineConfig(model, 4, 0, 512, 512, 256, 0, 0, null, null, true, FlashAttention.AUTO, null);
  }

  public EngineConfig {
    if (model == null) {
      throw new IllegalArgumentException("model: a model file is required");
    }
    if (flashAttention == null) {
      throw new IllegalArgumentException("flash_attention must be auto, on or off");
    }
    require(slots >= 1 && slots <= 256, "slots", "must be between 1 and 256, got " + slots);
    require(contextPerSequence >= 0, "context_per_sequence", "must be 0 (from the model) or positive, got " + contextPerSequence);
    require(batchSize >= 1, "batch_size", "must be positive, got " + batchSize);
    require(batchSize >= slots, "batch_size", "must be at least slots (" + slots + ") so every sequence fits a step, got " + batchSize);
    require(microBatchSize >= 1 && microBatchSize <= batchSize, "micro_batch_size",
        "must be between 1 and batch_size, got " + microBatchSize);
    require(prefillChunk >= 1, "prefill_chunk", "must be positive, got " + prefillChunk);
    require(threads >= 0, "threads", "must be 0 (auto) or positive, got " + threads);
    require(gpuLayers >= -1, "gpu_layers", "must be -1 (all) or more, got " + gpuLayers);
  }

  private static void require(boolean ok, String key, String message) {
    if (!ok) {
      throw new IllegalArgumentException(key + " " + message);
    }
  }

  public EngineConfig withSlots(int v) {
    return new EngineConfig(model, v, contextPerSequence, Math.max(batchSize, v), microBatchSize, prefillChunk,
        threads, gpuLayers, nativeLibrary, llamaProfile, prefixCache, flashAttention, pooling);
  }

  public EngineConfig withContextPerSequence(int v) {
    return new EngineConfig(model, slots, v, batchSize, microBatchSize, prefillChunk, threads, gpuLayers,
        nativeLibrary, llamaProfile, prefixCache, flashAttention, pooling);
  }

  public EngineConfig withBatch(int batch, int microBatch) {
    return new EngineConfig(model, slots, contextPerSequence, batch, microBatch, prefillChunk, threads, gpuLayers,
        nativeLibrary, llamaProfile, prefixCache, flashAttention, pooling);
  }

  public EngineConfig withPrefillChunk(int v) {
    return new EngineConfig(model, slots, contextPerSequence, batchSize, microBatchSize, v, threads, gpuLayers,
        nativeLibrary, llamaProfile, prefixCache, flashAttention, pooling);
  }

  public EngineConfig withThreads(int v) {
    return new EngineConfig(model, slots, contextPerSequence, batchSize, microBatchSize, prefillChunk, v, gpuLayers,
        nativeLibrary, llamaProfile, prefixCache, flashAttention, pooling);
  }

  public EngineConfig withGpuLayers(int v) {
    return new EngineConfig(model, slots, contextPerSequence, batchSize, microBatchSize, prefillChunk, threads, v,
        nativeLibrary, llamaProfile, prefixCache, flashAttention, pooling);
  }

  public EngineConfig withNativeLibrary(Path v) {
    return new EngineConfig(model, slots, contextPerSequence, batchSize, microBatchSize, prefillChunk, threads,
        gpuLayers, v, llamaProfile, prefixCache, flashAttention, pooling);
  }

  public EngineConfig withLlamaProfile(LlamaRelease v) {
    return new EngineConfig(model, slots, contextPerSequence, batchSize, microBatchSize, prefillChunk, threads,
        gpuLayers, nativeLibrary, v, prefixCache, flashAttention, pooling);
  }

  public EngineConfig withPrefixCache(boolean v) {
    return new EngineConfig(model, slots, contextPerSequence, batchSize, microBatchSize, prefillChunk, threads,
        gpuLayers, nativeLibrary, llamaProfile, v, flashAttention, pooling);
  }

  public EngineConfig withFlashAttention(FlashAttention v) {
    return new EngineConfig(model, slots, contextPerSequence, batchSize, microBatchSize, prefillChunk, threads,
        gpuLayers, nativeLibrary, llamaProfile, prefixCache, v, pooling);
  }

  public EngineConfig withPooling(Pooling v) {
    return new EngineConfig(model, slots, contextPerSequence, batchSize, microBatchSize, prefillChunk, threads,
        gpuLayers, nativeLibrary, llamaProfile, prefixCache, flashAttention, v);
  }

  /** The thread count to use: {@link #threads} or, when 0, half the available cores. */
  public int effectiveThreads() {
    return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }
}
