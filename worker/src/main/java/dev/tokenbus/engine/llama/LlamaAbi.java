package dev.tokenbus.engine.llama;

import java.lang.foreign.MemorySegment;

/**
 * The seam between llama.cpp releases: everything whose layout, name or signature differs between
 * the supported releases. One implementation per {@link LlamaRelease}, named after its release
 * ({@link V050Abi}, {@link B4916Abi}) and registered in {@link LlamaReleases}; each is the only code
 * that knows its release's parameter structs. The
 * typed wrappers call these; nothing outside this package sees which one is loaded.
 *
 * <p>Pointers are raw llama.cpp handles. Methods throw what the native call throws; the wrappers
 * turn that into {@link LlamaException}.
 */
interface LlamaAbi {

  /** The release this ABI was written for. */
  LlamaRelease release();

  /**
   * Reads the library's default parameter structs and compares them field by field with the
   * release's. A library from another release would have other fields or defaults, and using it
   * with these layouts would corrupt memory, so it is refused with a {@link LlamaException} naming
   * the differences.
   */
  void verifyDefaults();

  /** Makes the compute backends available (releases that load them as plugins); before any model load. */
  void loadBackends();

  /** Whether this release has an implementation of a GGUF {@code general.architecture}. */
  boolean knowsArchitecture(String architecture);

  /** {@code llama_model_load_from_file} with the release's defaults and {@code gpuLayers} offloaded; NULL on failure. */
  MemorySegment loadModel(MemorySegment path, int gpuLayers) throws Throwable;

  /** {@code llama_init_from_model} with per-sequence KV where the release has it; NULL on failure. */
  MemorySegment initContext(MemorySegment model, NativeContext.Params params) throws Throwable;

  /** Whether this release computes embeddings of the models it generates with (see {@link #initEmbeddingContext}). */
  boolean computesEmbeddings();

  /**
   * {@code llama_init_from_model} for an embedding context: {@code embeddings} on, {@code pooling}
   * as given, one KV pool shared by all {@code params.sequences()} sequences; NULL on failure.
   */
  MemorySegment initEmbeddingContext(MemorySegment model, NativeContext.Params params, Pooling pooling)
      throws Throwable;

  /** The length of a pooled embedding of the model (its output width). */
  int embeddingSize(MemorySegment model) throws Throwable;

  /** Frees every KV cell of a sequence. */
  boolean removeSequence(MemorySegment ctx, int seq) throws Throwable;

  /**
   * Frees a sequence's KV cells from position {@code from} on, keeping {@code 0..from-1} (the
   * prefix cache trims a cached sequence to the part a new prompt shares). False where the memory
   * cannot drop a tail (recurrent models); the caller then removes the whole sequence.
   */
  boolean removeTail(MemorySegment ctx, int seq, int from) throws Throwable;

  /** KV cells in use over sequences {@code 0..sequences-1}. */
  int usedCells(MemorySegment ctx, int sequences) throws Throwable;

  /** Empties the KV cache. */
  void clear(MemorySegment ctx) throws Throwable;

  /** Compacts the KV cache now where the release lets the caller ask (a no-op where it manages that itself). */
  void defragment(MemorySegment ctx) throws Throwable;

  /**
   * Whether a sampler from {@code llama_sampler_init_grammar} holds a parsed grammar. A grammar that
   * does not parse gives NULL on v0.5.0, but on b4916 a sampler that constrains nothing.
   */
  boolean grammarParsed(MemorySegment grammarSampler);

  /** The repetition-penalties sampler. */
  MemorySegment penalties(int vocabSize, int lastN, float repeat, float frequency, float presence) throws Throwable;
}
