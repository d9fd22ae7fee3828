package dev.tokenbus.engine.llama;

import static dev.tokenbus.engine.llama.LlamaApi.expect;
import static dev.tokenbus.engine.llama.LlamaApi.off;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Set;

/**
 * llama.cpp v0.5.0 (September 2026), the libraries of npm {@code @node-llama-cpp/linux-x64} (at the
 * version pom.xml pins): the default profile. KV cells are per sequence ({@code kv_unified} off, {@code n_seq_max} = slots,
 * managed through {@code llama_memory_*}), flash attention is on where the backend supports it, and
 * the compute backends are plugins ({@code libggml-cpu-<level>.so}) that ggml's loader picks for the
 * running CPU. Layouts are from that release's {@code include/llama.h}, checked against the library's
 * defaults in {@link #verifyDefaults()}.
 */
final class V050Abi implements LlamaAbi {

  /** v0.5.0: the libraries the build bundles from npm, recognised by {@code llama_get_memory}; Qwen3-0.6B by default. */
  static final LlamaRelease RELEASE = new LlamaRelease("v0.5.0", "v0.5.0 bundled from npm @node-llama-cpp",
      V050Abi::new, NativeLibraryLocator::locateNpmLibraries, "llama_get_memory",
      // Qwen3-0.6B, a current small instruct (chat and reasoning) model, Q8_0 from Qwen's own GGUF
      // repository (about 640 MB). No SHA-256 is pinned: the registry could not be reached from where
      // this was written to read one.
      "https://huggingface.co/Qwen/Qwen3-0.6B-GGUF/resolve/main/Qwen3-0.6B-Q8_0.gguf");

  /** {@code struct llama_model_params}, 80 bytes. */
  static final StructLayout MODEL_PARAMS = MemoryLayout.structLayout(
      ADDRESS.withName("devices"),
      ADDRESS.withName("tensor_buft_overrides"),
      JAVA_INT.withName("n_gpu_layers"),
      JAVA_INT.withName("split_mode"),
      JAVA_INT.withName("load_mode"),
      JAVA_INT.withName("lazy_mode"),
      JAVA_INT.withName("main_gpu"),
      MemoryLayout.paddingLayout(4),
      ADDRESS.withName("tensor_split"),
      ADDRESS.withName("progress_callback"),
      ADDRESS.withName("progress_callback_user_data"),
      ADDRESS.withName("kv_overrides"),
      JAVA_BOOLEAN.withName("vocab_only"),
      JAVA_BOOLEAN.withName("check_tensors"),
      JAVA_BOOLEAN.withName("use_extra_bufts"),
      JAVA_BOOLEAN.withName("no_host"),
      JAVA_BOOLEAN.withName("no_alloc"),
      JAVA_BOOLEAN.withName("load_mtp"),
      MemoryLayout.paddingLayout(2)).withName("llama_model_params");

  /** {@code struct llama_context_params}, 160 bytes. */
  static final StructLayout CONTEXT_PARAMS = MemoryLayout.structLayout(
      JAVA_INT.withName("n_ctx"),
      JAVA_INT.withName("n_batch"),
      JAVA_INT.withName("n_ubatch"),
      JAVA_INT.withName("n_seq_max"),
      JAVA_INT.withName("n_rs_seq"),
      JAVA_INT.withName("n_outputs_max"),
      JAVA_INT.withName("n_outputs_max_per_seq"),
      JAVA_INT.withName("n_threads"),
      JAVA_INT.withName("n_threads_batch"),
      JAVA_INT.withName("ctx_type"),
      JAVA_INT.withName("rope_scaling_type"),
      JAVA_INT.withName("pooling_type"),
      JAVA_INT.withName("attention_type"),
      JAVA_INT.withName("flash_attn_type"),
      JAVA_FLOAT.withName("rope_freq_base"),
      JAVA_FLOAT.withName("rope_freq_scale"),
      JAVA_FLOAT.withName("yarn_ext_factor"),
      JAVA_FLOAT.withName("yarn_attn_factor"),
      JAVA_FLOAT.withName("yarn_beta_fast"),
      JAVA_FLOAT.withName("yarn_beta_slow"),
      JAVA_INT.withName("yarn_orig_ctx"),
      JAVA_FLOAT.withName("defrag_thold"),
      ADDRESS.withName("cb_eval"),
      ADDRESS.withName("cb_eval_user_data"),
      JAVA_INT.withName("type_k"),
      JAVA_INT.withName("type_v"),
      ADDRESS.withName("abort_callback"),
      ADDRESS.withName("abort_callback_data"),
      JAVA_BOOLEAN.withName("embeddings"),
      JAVA_BOOLEAN.withName("offload_kqv"),
      JAVA_BOOLEAN.withName("no_perf"),
      JAVA_BOOLEAN.withName("op_offload"),
      JAVA_BOOLEAN.withName("swa_full"),
      JAVA_BOOLEAN.withName("kv_unified"),
      MemoryLayout.paddingLayout(2),
      ADDRESS.withName("samplers"),
      JAVA_LONG.withName("n_samplers"),
      ADDRESS.withName("ctx_other")).withName("llama_context_params");

  /** {@code LLAMA_FLASH_ATTN_TYPE_AUTO}: flash attention where the backend supports it. */
  static final int FLASH_ATTN_AUTO = -1;

  static final long MP_N_GPU_LAYERS = off(MODEL_PARAMS, "n_gpu_layers");
  static final long MP_SPLIT_MODE = off(MODEL_PARAMS, "split_mode");
  static final long MP_LOAD_MODE = off(MODEL_PARAMS, "load_mode");
  static final long MP_LAZY_MODE = off(MODEL_PARAMS, "lazy_mode");
  static final long MP_VOCAB_ONLY = off(MODEL_PARAMS, "vocab_only");
  static final long MP_USE_EXTRA_BUFTS = off(MODEL_PARAMS, "use_extra_bufts");
  static final long MP_NO_ALLOC = off(MODEL_PARAMS, "no_alloc");
  static final long CP_N_CTX = off(CONTEXT_PARAMS, "n_ctx");
  static final long CP_N_BATCH = off(CONTEXT_PARAMS, "n_batch");
  static final long CP_N_UBATCH = off(CONTEXT_PARAMS, "n_ubatch");
  static final long CP_N_SEQ_MAX = off(CONTEXT_PARAMS, "n_seq_max");
  static final long CP_N_OUTPUTS_MAX_PER_SEQ = off(CONTEXT_PARAMS, "n_outputs_max_per_seq");
  static final long CP_N_THREADS = off(CONTEXT_PARAMS, "n_threads");
  static final long CP_N_THREADS_BATCH = off(CONTEXT_PARAMS, "n_threads_batch");
  static final long CP_CTX_TYPE = off(CONTEXT_PARAMS, "ctx_type");
  static final long CP_POOLING_TYPE = off(CONTEXT_PARAMS, "pooling_type");
  static final long CP_EMBEDDINGS = off(CONTEXT_PARAMS, "embeddings");
  static final long CP_FLASH_ATTN_TYPE = off(CONTEXT_PARAMS, "flash_attn_type");
  static final long CP_YARN_EXT_FACTOR = off(CONTEXT_PARAMS, "yarn_ext_factor");
  static final long CP_DEFRAG_THOLD = off(CONTEXT_PARAMS, "defrag_thold");
  static final long CP_TYPE_K = off(CONTEXT_PARAMS, "type_k");
  static final long CP_TYPE_V = off(CONTEXT_PARAMS, "type_v");
  static final long CP_OFFLOAD_KQV = off(CONTEXT_PARAMS, "offload_kqv");
  static final long CP_NO_PERF = off(CONTEXT_PARAMS, "no_perf");
  static final long CP_OP_OFFLOAD = off(CONTEXT_PARAMS, "op_offload");
  static final long CP_SWA_FULL = off(CONTEXT_PARAMS, "swa_full");
  static final long CP_KV_UNIFIED = off(CONTEXT_PARAMS, "kv_unified");
  static final long CP_N_SAMPLERS = off(CONTEXT_PARAMS, "n_samplers");
  static final long CP_CTX_OTHER = off(CONTEXT_PARAMS, "ctx_other");

  static {
    if (MODEL_PARAMS.byteSize() != 80 || CONTEXT_PARAMS.byteSize() != 160
        || off(CONTEXT_PARAMS, "abort_callback") != 112 || off(CONTEXT_PARAMS, "embeddings") != 128
        || off(MODEL_PARAMS, "vocab_only") != 72) {
      throw new ExceptionInInitializerError("v0.5.0 struct layouts do not have their header's sizes and offsets");
    }
  }

  /** The architectures of v0.5.0's {@code LLM_ARCH_NAMES} (src/llama-arch.cpp). */
  private static final Set<String> ARCHITECTURES = Set.of("clip", "llama", "llama4", "deci", "falcon", "grok",
      "gpt2", "gptj", "gptneox", "mpt", "baichuan", "starcoder", "refact", "bert", "modern-bert", "nomic-bert",
      "nomic-bert-moe", "neo-bert", "jina-bert-v2", "jina-bert-v3", "eurobert", "bloom", "stablelm", "qwen", "qwen2",
      "qwen2moe", "qwen2vl", "qwen3", "qwen3moe", "qwen3next", "qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe",
      "qwen4exp", "phi2", "phi3", "phimoe", "plamo", "plamo2", "plamo3", "codeshell", "orion", "internlm2", "minicpm",
      "minicpm3", "gemma", "gemma2", "gemma3", "gemma3n", "gemma4", "gemma4-assistant", "gemma-embedding",
      "starcoder2", "mamba", "mamba2", "maple", "jamba", "falcon-h1", "xverse", "command-r", "cohere2", "cohere2moe",
      "dbrx", "olmo", "olmo2", "olmoe", "muse-glimmer", "openelm", "arctic", "deepseek", "deepseek2", "deepseek2-ocr",
      "deepseek32", "deepseek4", "chatglm", "glm4", "glm4moe", "glm-dsa", "bitnet", "t5", "t5encoder", "jais", "jais2",
      "nemotron", "nemotron_h", "nemotron_h_moe", "exaone", "exaone4", "exaone-moe", "rwkv6", "rwkv6qwen2", "rwkv7",
      "arwkv7", "granite", "granitemoe", "granitehybrid", "graniteswitch", "granite_swa", "chameleon",
      "wavtokenizer-dec", "plm", "bailingmoe", "bailingmoe2", "bailingmoe3", "dots1", "dots3note", "arcee", "afmoe",
      "laguna", "ernie4_5", "ernie4_5-moe", "hunyuan-moe", "hunyuan-dense", "hunyuan_vl", "hy_v3", "hy_v4", "smollm3",
      "gpt-oss", "lfm2", "lfm2moe", "dream", "smallthinker", "llada", "llada-moe", "seed_oss", "grovemoe", "apertus",
      "minimax-01", "hrm_text", "minimax-m2", "minimax-m3", "cogvlm", "rnd1", "pangu-embedded", "mistral3", "eagle3",
      "dflash", "mistral4", "paddleocr", "mimo2", "step35", "spark2_5", "llama-embed", "maincoder", "kimi-linear",
      "kimi-k3", "talkie", "mellum", "nanbeige", "qwen3tts", "pockettts");

  private final LlamaApi api;
  private final MethodHandle modelDefaultParams;
  private final MethodHandle contextDefaultParams;
  private final MethodHandle modelLoadFromFile;
  private final MethodHandle initFromModel;
  private final MethodHandle modelNEmbdOut;
  private final MethodHandle getMemory;
  private final MethodHandle memorySeqRm;
  private final MethodHandle memorySeqPosMin;
  private final MethodHandle memorySeqPosMax;
  private final MethodHandle memoryClear;
  private final MethodHandle samplerInitPenalties;
  private final MethodHandle loadAllFromPath;
  private final MethodHandle deviceCount;

  V050Abi(LlamaApi api) {
    this.api = api;
    modelDefaultParams = api.fn("llama_model_default_params", FunctionDescriptor.of(MODEL_PARAMS));
    contextDefaultParams = api.fn("llama_context_default_params", FunctionDescriptor.of(CONTEXT_PARAMS));
    modelLoadFromFile = api.fn("llama_model_load_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, MODEL_PARAMS));
    initFromModel = api.fn("llama_init_from_model", FunctionDescriptor.of(ADDRESS, ADDRESS, CONTEXT_PARAMS));
    getMemory = api.fn("llama_get_memory", FunctionDescriptor.of(ADDRESS, ADDRESS));
    memorySeqRm = api.fn("llama_memory_seq_rm", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    memorySeqPosMin = api.fn("llama_memory_seq_pos_min", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    memorySeqPosMax = api.fn("llama_memory_seq_pos_max", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    memoryClear = api.fn("llama_memory_clear", FunctionDescriptor.ofVoid(ADDRESS, JAVA_BOOLEAN));
    samplerInitPenalties = api.fn("llama_sampler_init_penalties",
        FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT));
    // After llama_get_memory, whose absence names the release a library is not.
    modelNEmbdOut = api.fn("llama_model_n_embd_out", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    // ggml's own functions live in libggml beside libllama (already loaded as its dependency).
    Path ggml = ggmlLibrary(api.libraryPath);
    SymbolLookup ggmlSymbols = SymbolLookup.libraryLookup(ggml, Arena.global());
    loadAllFromPath = api.fn(ggmlSymbols, "ggml_backend_load_all_from_path", FunctionDescriptor.ofVoid(ADDRESS));
    deviceCount = api.fn(ggmlSymbols, "ggml_backend_dev_count", FunctionDescriptor.of(JAVA_LONG));
  }

  /** {@code libggml.v0.5.0.so} (or {@code libggml.so}) in the directory of {@code libllama}. */
  static Path ggmlLibrary(Path llama) {
    Path dir = llama.toAbsolutePath().getParent();
    String name = llama.getFileName().toString().replaceFirst("^libllama", "libggml");
    Path sibling = dir.resolve(name);
    return java.nio.file.Files.isRegularFile(sibling) ? sibling : dir.resolve("libggml.so");
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
      StringBuilder m = new StringBuilder();
      expect(m, "context.n_ctx", cp.get(JAVA_INT, CP_N_CTX), 512);
      expect(m, "context.n_batch", cp.get(JAVA_INT, CP_N_BATCH), 2048);
      expect(m, "context.n_ubatch", cp.get(JAVA_INT, CP_N_UBATCH), 512);
      expect(m, "context.n_seq_max", cp.get(JAVA_INT, CP_N_SEQ_MAX), 1);
      expect(m, "context.n_outputs_max_per_seq", cp.get(JAVA_INT, CP_N_OUTPUTS_MAX_PER_SEQ), 1);
      expect(m, "context.n_threads", cp.get(JAVA_INT, CP_N_THREADS), 4);
      expect(m, "context.ctx_type", cp.get(JAVA_INT, CP_CTX_TYPE), 0);
      expect(m, "context.flash_attn_type", cp.get(JAVA_INT, CP_FLASH_ATTN_TYPE), FLASH_ATTN_AUTO);
      expect(m, "context.yarn_ext_factor", Float.floatToIntBits(cp.get(JAVA_FLOAT, CP_YARN_EXT_FACTOR)),
          Float.floatToIntBits(-1f));
      expect(m, "context.defrag_thold", Float.floatToIntBits(cp.get(JAVA_FLOAT, CP_DEFRAG_THOLD)),
          Float.floatToIntBits(-1f));
      expect(m, "context.type_k", cp.get(JAVA_INT, CP_TYPE_K), 1);
      expect(m, "context.type_v", cp.get(JAVA_INT, CP_TYPE_V), 1);
      expect(m, "context.offload_kqv", cp.get(JAVA_BOOLEAN, CP_OFFLOAD_KQV) ? 1 : 0, 1);
      expect(m, "context.no_perf", cp.get(JAVA_BOOLEAN, CP_NO_PERF) ? 1 : 0, 1);
      expect(m, "context.op_offload", cp.get(JAVA_BOOLEAN, CP_OP_OFFLOAD) ? 1 : 0, 1);
      expect(m, "context.swa_full", cp.get(JAVA_BOOLEAN, CP_SWA_FULL) ? 1 : 0, 1);
      expect(m, "context.kv_unified", cp.get(JAVA_BOOLEAN, CP_KV_UNIFIED) ? 1 : 0, 0);
      expect(m, "context.n_samplers", cp.get(JAVA_LONG, CP_N_SAMPLERS), 0);
      expect(m, "context.ctx_other", cp.get(ADDRESS, CP_CTX_OTHER).address(), 0);
      expect(m, "model.n_gpu_layers", mp.get(JAVA_INT, MP_N_GPU_LAYERS), -1);
      expect(m, "model.split_mode", mp.get(JAVA_INT, MP_SPLIT_MODE), 1);
      expect(m, "model.load_mode", mp.get(JAVA_INT, MP_LOAD_MODE), -1);
      expect(m, "model.lazy_mode", mp.get(JAVA_INT, MP_LAZY_MODE), 1);
      expect(m, "model.vocab_only", mp.get(JAVA_BOOLEAN, MP_VOCAB_ONLY) ? 1 : 0, 0);
      expect(m, "model.use_extra_bufts", mp.get(JAVA_BOOLEAN, MP_USE_EXTRA_BUFTS) ? 1 : 0, 1);
      expect(m, "model.no_alloc", mp.get(JAVA_BOOLEAN, MP_NO_ALLOC) ? 1 : 0, 0);
      if (!m.isEmpty()) {
        throw new LlamaException(api.libraryPath + " is not llama.cpp v0.5.0 (llama-profile v0.5.0):"
            + " its default parameters differ:" + m);
      }
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw new LlamaException("could not read the default parameters of " + api.libraryPath + ": " + t, t);
    }
  }

  @Override
  public void loadBackends() {
    Path dir = api.libraryPath.toAbsolutePath().getParent();
    long devices;
    try (Arena arena = Arena.ofConfined()) {
      loadAllFromPath.invokeExact(arena.allocateFrom(dir.toString()));
      devices = (long) deviceCount.invokeExact();
    } catch (Throwable t) {
      throw new LlamaException("ggml_backend_load_all_from_path failed: " + t, t);
    }
    if (devices == 0) {
      throw new LlamaException("no ggml compute backend could be loaded from " + dir
          + " (expected libggml-cpu-<level>.so there, loadable on this CPU)");
    }
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

  @Override
  public boolean computesEmbeddings() {
    return true;
  }

  @Override
  public MemorySegment initEmbeddingContext(MemorySegment model, NativeContext.Params p, Pooling pooling)
      throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment cp = params(arena, p);
      cp.set(JAVA_BOOLEAN, CP_EMBEDDINGS, true);
      cp.set(JAVA_INT, CP_POOLING_TYPE, pooling.llamaType());
      // The inputs of one decode share the pool: their lengths vary, a fixed share each would waste it.
      cp.set(JAVA_BOOLEAN, CP_KV_UNIFIED, true);
      return (MemorySegment) initFromModel.invokeExact(model, cp);
    }
  }

  @Override
  public int embeddingSize(MemorySegment model) throws Throwable {
    return (int) modelNEmbdOut.invokeExact(model);
  }

  /** The release's default context parameters with {@code p} applied, in {@code arena}. */
  private MemorySegment params(Arena arena, NativeContext.Params p) throws Throwable {
    MemorySegment cp = (MemorySegment) contextDefaultParams.invokeExact((SegmentAllocator) arena);
    // Without a unified cache, each sequence gets n_ctx / n_seq_max cells of its own (rounded up to 256)
    // and attends over those alone.
    cp.set(JAVA_INT, CP_N_CTX, p.contextSize());
    cp.set(JAVA_INT, CP_N_BATCH, p.batchSize());
    cp.set(JAVA_INT, CP_N_UBATCH, p.microBatchSize());
    cp.set(JAVA_INT, CP_N_SEQ_MAX, p.sequences());
    cp.set(JAVA_INT, CP_N_THREADS, p.threads());
    cp.set(JAVA_INT, CP_N_THREADS_BATCH, p.batchThreads());
    cp.set(JAVA_BOOLEAN, CP_KV_UNIFIED, false);
    cp.set(JAVA_INT, CP_FLASH_ATTN_TYPE, p.flashAttention().llamaType());
    cp.set(JAVA_BOOLEAN, CP_NO_PERF, true);
    return cp;
  }

  private MemorySegment memory(MemorySegment ctx) throws Throwable {
    return (MemorySegment) getMemory.invokeExact(ctx);
  }

  @Override
  public boolean removeSequence(MemorySegment ctx, int seq) throws Throwable {
    return (boolean) memorySeqRm.invokeExact(memory(ctx), seq, -1, -1);
  }

  @Override
  public boolean removeTail(MemorySegment ctx, int seq, int from) throws Throwable {
    return (boolean) memorySeqRm.invokeExact(memory(ctx), seq, from, -1);
  }

  @Override
  public int usedCells(MemorySegment ctx, int sequences) throws Throwable {
    // No used-cells count in this release: a sequence's cells are its contiguous positions.
    MemorySegment mem = memory(ctx);
    int used = 0;
    for (int s = 0; s < sequences; s++) {
      int max = (int) memorySeqPosMax.invokeExact(mem, s);
      if (max >= 0) {
        int min = (int) memorySeqPosMin.invokeExact(mem, s);
        used += max - min + 1;
      }
    }
    return used;
  }

  @Override
  public void clear(MemorySegment ctx) throws Throwable {
    memoryClear.invokeExact(memory(ctx), true);
  }

  @Override
  public void defragment(MemorySegment ctx) throws Throwable {
    // Per-sequence caches are compacted by llama.cpp itself; there is no call for it in this release.
  }

  @Override
  public boolean grammarParsed(MemorySegment grammarSampler) {
    return !grammarSampler.equals(MemorySegment.NULL);
  }

  @Override
  public MemorySegment penalties(int vocabSize, int lastN, float repeat, float frequency, float presence)
      throws Throwable {
    return (MemorySegment) samplerInitPenalties.invokeExact(vocabSize, lastN, repeat, frequency, presence);
  }
}
