package dev.tokenbus.engine.llama;

import static dev.tokenbus.engine.llama.LlamaApi.expect;
import static dev.tokenbus.engine.llama.LlamaApi.off;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.Set;

/**
 * llama.cpp b4916 (March 2025), the build inside {@code de.kherud:llama:4.2.0}: the fallback profile.
 * Its KV cache is one pool shared by all sequences ({@code llama_kv_self_*}). Layouts are from that
 * release's {@code include/llama.h}, checked against the library's own defaults in {@link #verifyDefaults()}.
 */
final class B4916Abi implements LlamaAbi {

  /** b4916: the library inside the de.kherud:llama jar, recognised by {@code llama_kv_self_seq_rm}; Qwen2.5-0.5B by default. */
  static final LlamaRelease RELEASE = new LlamaRelease("b4916", "b4916 from the de.kherud:llama jar (older: no qwen3,"
      + " gemma3 or later architectures, one KV pool shared by all sequences)",
      B4916Abi::new, NativeLibraryLocator::locateJarLibrary, "llama_kv_self_seq_rm",
      // qwen3 predates this release: Qwen2.5-0.5B-Instruct, Q4_K_M, about 400 MB.
      "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf");

  /** {@code struct llama_model_params}, 64 bytes. */
  static final StructLayout MODEL_PARAMS = MemoryLayout.structLayout(
      ADDRESS.withName("devices"),
      JAVA_INT.withName("n_gpu_layers"),
      JAVA_INT.withName("split_mode"),
      JAVA_INT.withName("main_gpu"),
      MemoryLayout.paddingLayout(4),
      ADDRESS.withName("tensor_split"),
      ADDRESS.withName("progress_callback"),
      ADDRESS.withName("progress_callback_user_data"),
      ADDRESS.withName("kv_overrides"),
      JAVA_BOOLEAN.withName("vocab_only"),
      JAVA_BOOLEAN.withName("use_mmap"),
      JAVA_BOOLEAN.withName("use_mlock"),
      JAVA_BOOLEAN.withName("check_tensors"),
      MemoryLayout.paddingLayout(4)).withName("llama_model_params");

  /** {@code struct llama_context_params}, 120 bytes. */
  static final StructLayout CONTEXT_PARAMS = MemoryLayout.structLayout(
      JAVA_INT.withName("n_ctx"),
      JAVA_INT.withName("n_batch"),
      JAVA_INT.withName("n_ubatch"),
      JAVA_INT.withName("n_seq_max"),
      JAVA_INT.withName("n_threads"),
      JAVA_INT.withName("n_threads_batch"),
      JAVA_INT.withName("rope_scaling_type"),
      JAVA_INT.withName("pooling_type"),
      JAVA_INT.withName("attention_type"),
      JAVA_FLOAT.withName("rope_freq_base"),
      JAVA_FLOAT.withName("rope_freq_scale"),
      JAVA_FLOAT.withName("yarn_ext_factor"),
      JAVA_FLOAT.withName("yarn_attn_factor"),
      JAVA_FLOAT.withName("yarn_beta_fast"),
      JAVA_FLOAT.withName("yarn_beta_slow"),
      JAVA_INT.withName("yarn_orig_ctx"),
      JAVA_FLOAT.withName("defrag_thold"),
      MemoryLayout.paddingLayout(4),
      ADDRESS.withName("cb_eval"),
      ADDRESS.withName("cb_eval_user_data"),
      JAVA_INT.withName("type_k"),
      JAVA_INT.withName("type_v"),
      JAVA_BOOLEAN.withName("logits_all"),
      JAVA_BOOLEAN.withName("embeddings"),
      JAVA_BOOLEAN.withName("offload_kqv"),
      JAVA_BOOLEAN.withName("flash_attn"),
      JAVA_BOOLEAN.withName("no_perf"),
      MemoryLayout.paddingLayout(3),
      ADDRESS.withName("abort_callback"),
      ADDRESS.withName("abort_callback_data")).withName("llama_context_params");

  static final long MP_N_GPU_LAYERS = off(MODEL_PARAMS, "n_gpu_layers");
  static final long MP_SPLIT_MODE = off(MODEL_PARAMS, "split_mode");
  static final long MP_USE_MMAP = off(MODEL_PARAMS, "use_mmap");
  static final long CP_N_CTX = off(CONTEXT_PARAMS, "n_ctx");
  static final long CP_N_BATCH = off(CONTEXT_PARAMS, "n_batch");
  static final long CP_N_UBATCH = off(CONTEXT_PARAMS, "n_ubatch");
  static final long CP_N_SEQ_MAX = off(CONTEXT_PARAMS, "n_seq_max");
  static final long CP_N_THREADS = off(CONTEXT_PARAMS, "n_threads");
  static final long CP_N_THREADS_BATCH = off(CONTEXT_PARAMS, "n_threads_batch");
  static final long CP_DEFRAG_THOLD = off(CONTEXT_PARAMS, "defrag_thold");
  static final long CP_TYPE_K = off(CONTEXT_PARAMS, "type_k");
  static final long CP_TYPE_V = off(CONTEXT_PARAMS, "type_v");
  static final long CP_OFFLOAD_KQV = off(CONTEXT_PARAMS, "offload_kqv");
  static final long CP_NO_PERF = off(CONTEXT_PARAMS, "no_perf");
  static final long CP_FLASH_ATTN = off(CONTEXT_PARAMS, "flash_attn");

  static {
    if (MODEL_PARAMS.byteSize() != 64 || CONTEXT_PARAMS.byteSize() != 120
        || off(CONTEXT_PARAMS, "abort_callback") != 104 || off(MODEL_PARAMS, "vocab_only") != 56) {
      throw new ExceptionInInitializerError("b4916 struct layouts do not have their measured sizes and offsets");
    }
  }

  /**
   * The architectures of b4916's {@code LLM_ARCH_NAMES}. {@code gemma3} is left out on purpose: this
   * build loads a gemma3 file and then kills the process (SIGSEGV in
   * {@code ggml_backend_buffer_get_type}) on its first decode.
   */
  private static final Set<String> ARCHITECTURES = Set.of("llama", "deci", "falcon", "grok", "gpt2", "gptj",
      "gptneox", "mpt", "baichuan", "starcoder", "refact", "bert", "nomic-bert", "jina-bert-v2", "bloom", "stablelm",
      "qwen", "qwen2", "qwen2moe", "qwen2vl", "phi2", "phi3", "phimoe", "plamo", "codeshell", "orion", "internlm2",
      "minicpm", "minicpm3", "gemma", "gemma2", "starcoder2", "mamba", "xverse", "command-r", "cohere2", "dbrx",
      "olmo", "olmo2", "olmoe", "openelm", "arctic", "deepseek", "deepseek2", "chatglm", "bitnet", "t5", "t5encoder",
      "jais", "nemotron", "exaone", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7", "granite", "granitemoe", "chameleon",
      "wavtokenizer-dec");

  private final LlamaApi api;
  private final MethodHandle modelDefaultParams;
  private final MethodHandle contextDefaultParams;
  private final MethodHandle modelLoadFromFile;
  private final MethodHandle initFromModel;
  private final MethodHandle kvSeqRm;
  private final MethodHandle kvUsedCells;
  private final MethodHandle kvClear;
  private final MethodHandle kvDefrag;
  private final MethodHandle kvUpdate;
  private final MethodHandle samplerInitPenalties;

  B4916Abi(LlamaApi api) {
    this.api = api;
    modelDefaultParams = api.fn("llama_model_default_params", FunctionDescriptor.of(MODEL_PARAMS));
    contextDefaultParams = api.fn("llama_context_default_params", FunctionDescriptor.of(CONTEXT_PARAMS));
    modelLoadFromFile = api.fn("llama_model_load_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, MODEL_PARAMS));
    initFromModel = api.fn("llama_init_from_model", FunctionDescriptor.of(ADDRESS, ADDRESS, CONTEXT_PARAMS));
    kvSeqRm = api.fn("llama_kv_self_seq_rm", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    kvUsedCells = api.fn("llama_kv_self_used_cells", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    kvClear = api.fn("llama_kv_self_clear", FunctionDescriptor.ofVoid(ADDRESS));
    kvDefrag = api.fn("llama_kv_self_defrag", FunctionDescriptor.ofVoid(ADDRESS));
    kvUpdate = api.fn("llama_kv_self_update", FunctionDescriptor.ofVoid(ADDRESS));
    samplerInitPenalties = api.fn("llama_sampler_init_penalties",
        FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT));
  }

  @Override
  public LlamaRelease release() {
    return RELEASE;
  }

  @Override
  public void verifyDefaults() {
    try (Arena arena = Arena.ofConfined()) {
      SegmentAllocator roomy = LlamaApi.oversized(arena);
      MemorySegment cp = (MemorySegment) contextDefaultParams.invokeExact(roomy);
      MemorySegment mp = (MemorySegment) modelDefaultParams.invokeExact(roomy);
      StringBuilder mismatches = new StringBuilder();
      expect(mismatches, "context.n_ctx", cp.get(JAVA_INT, CP_N_CTX), 512);
      expect(mismatches, "context.n_batch", cp.get(JAVA_INT, CP_N_BATCH), 2048);
      expect(mismatches, "context.n_ubatch", cp.get(JAVA_INT, CP_N_UBATCH), 512);
      expect(mismatches, "context.n_seq_max", cp.get(JAVA_INT, CP_N_SEQ_MAX), 1);
      expect(mismatches, "context.type_k", cp.get(JAVA_INT, CP_TYPE_K), 1);
      expect(mismatches, "context.type_v", cp.get(JAVA_INT, CP_TYPE_V), 1);
      expect(mismatches, "context.offload_kqv", cp.get(JAVA_BOOLEAN, CP_OFFLOAD_KQV) ? 1 : 0, 1);
      expect(mismatches, "context.no_perf", cp.get(JAVA_BOOLEAN, CP_NO_PERF) ? 1 : 0, 1);
      expect(mismatches, "model.n_gpu_layers", mp.get(JAVA_INT, MP_N_GPU_LAYERS), 0);
      expect(mismatches, "model.split_mode", mp.get(JAVA_INT, MP_SPLIT_MODE), 1);
      expect(mismatches, "model.use_mmap", mp.get(JAVA_BOOLEAN, MP_USE_MMAP) ? 1 : 0, 1);
      if (!mismatches.isEmpty()) {
        throw new LlamaException(api.libraryPath + " is not llama.cpp b4916 (llama-profile b4916):"
            + " its default parameters differ:" + mismatches);
      }
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw new LlamaException("could not read the default parameters of " + api.libraryPath + ": " + t, t);
    }
  }

  @Override
  public void loadBackends() {
    // b4916's CPU (or CUDA) backend is linked into the library.
  }

  @Override
  public boolean knowsArchitecture(String architecture) {
    return ARCHITECTURES.contains(architecture);
  }

  @Override
  public MemorySegment loadModel(MemorySegment path, int gpuLayers) throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment params = (MemorySegment) modelDefaultParams.invokeExact((SegmentAllocator) arena);
      params.set(JAVA_INT, MP_N_GPU_LAYERS, gpuLayers);
      return (MemorySegment) modelLoadFromFile.invokeExact(path, params);
    }
  }

  @Override
  public MemorySegment initContext(MemorySegment model, NativeContext.Params p) throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      return (MemorySegment) initFromModel.invokeExact(model, params(arena, p));
    }
  }

  /**
   * No: b4916 has the fields (embeddings, pooling_type), but its first decode of a llama model in an
   * embedding context aborts the process ({@code GGML_ASSERT(ggml_can_mul_mat(a, b))}, measured on the
   * generated tiny model with mean pooling, one sequence or several). Workers on b4916 announce no
   * embeddings.
   */
  @Override
  public boolean computesEmbeddings() {
    return false;
  }

  @Override
  public MemorySegment initEmbeddingContext(MemorySegment model, NativeContext.Params p, Pooling pooling) {
    throw new LlamaException("llama.cpp b4916 computes no embeddings here (use llama-profile v0.5.0)");
  }

  /** b4916 has no separate output width: a pooled embedding is {@code n_embd} wide. */
  @Override
  public int embeddingSize(MemorySegment model) throws Throwable {
    return (int) api.modelNEmbd.invokeExact(model);
  }

  /** The release's default context parameters with {@code p} applied, in {@code arena}. */
  private MemorySegment params(Arena arena, NativeContext.Params p) throws Throwable {
    MemorySegment cp = (MemorySegment) contextDefaultParams.invokeExact((SegmentAllocator) arena);
    cp.set(JAVA_INT, CP_N_CTX, p.contextSize());
    cp.set(JAVA_INT, CP_N_BATCH, p.batchSize());
    cp.set(JAVA_INT, CP_N_UBATCH, p.microBatchSize());
    cp.set(JAVA_INT, CP_N_SEQ_MAX, p.sequences());
    cp.set(JAVA_INT, CP_N_THREADS, p.threads());
    cp.set(JAVA_INT, CP_N_THREADS_BATCH, p.batchThreads());
    // Sequences come and go in one shared pool; let llama.cpp compact it before fragmentation stops a prompt chunk fitting.
    cp.set(JAVA_FLOAT, CP_DEFRAG_THOLD, 0.1f);
    // b4916 has no "auto": its default, and so auto here, is off.
    cp.set(JAVA_BOOLEAN, CP_FLASH_ATTN, p.flashAttention() == FlashAttention.ON);
    cp.set(JAVA_BOOLEAN, CP_NO_PERF, true);
    return cp;
  }

  @Override
  public boolean removeSequence(MemorySegment ctx, int seq) throws Throwable {
    return (boolean) kvSeqRm.invokeExact(ctx, seq, -1, -1);
  }

  @Override
  public boolean removeTail(MemorySegment ctx, int seq, int from) throws Throwable {
    return (boolean) kvSeqRm.invokeExact(ctx, seq, from, -1);
  }

  @Override
  public int usedCells(MemorySegment ctx, int sequences) throws Throwable {
    return (int) kvUsedCells.invokeExact(ctx);
  }

  @Override
  public void clear(MemorySegment ctx) throws Throwable {
    kvClear.invokeExact(ctx);
  }

  @Override
  public void defragment(MemorySegment ctx) throws Throwable {
    kvDefrag.invokeExact(ctx);
    kvUpdate.invokeExact(ctx);
  }

  /**
   * b4916 reports a grammar that does not parse only on stderr and returns a sampler whose grammar
   * is NULL. That build is frozen (the pinned de.kherud jar), so its sampler's private state is read
   * directly: {@code struct llama_sampler { iface*, ctx* }}, and in the grammar sampler's context the
   * {@code llama_grammar*} is the pointer at byte 24 (measured on this build: non-NULL for a grammar
   * that parses, NULL for one that does not; GrammarSamplerTest checks both).
   */
  @Override
  public boolean grammarParsed(MemorySegment grammarSampler) {
    if (grammarSampler.equals(MemorySegment.NULL)) {
      return false;
    }
    MemorySegment ctx = grammarSampler.reinterpret(16).get(ADDRESS, 8);
    return !ctx.equals(MemorySegment.NULL) && !ctx.reinterpret(32).get(ADDRESS, 24).equals(MemorySegment.NULL);
  }

  @Override
  public MemorySegment penalties(int vocabSize, int lastN, float repeat, float frequency, float presence)
      throws Throwable {
    return (MemorySegment) samplerInitPenalties.invokeExact(lastN, repeat, frequency, presence);
  }
}
