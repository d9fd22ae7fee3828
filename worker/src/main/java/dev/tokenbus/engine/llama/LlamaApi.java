package dev.tokenbus.engine.llama;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The one place that knows llama.cpp's C API as built at tag b4916 (the build inside
 * {@code de.kherud:llama:4.2.0}): struct layouts, function signatures and the self-check that
 * refuses a library from another build. Everything else in the engine goes through the typed
 * wrappers ({@link NativeModel}, {@link NativeContext}, {@link NativeBatch}, {@link NativeSampler}).
 *
 * <p>Layouts and offsets are from ../shared/notes/llama-ffm.md, checked against the library's own
 * defaults in {@link #verifyDefaults()}.
 */
public final class LlamaApi {

  /** {@code struct llama_model_params}, 64 bytes. */
  public static final StructLayout MODEL_PARAMS = MemoryLayout.structLayout(
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
  public static final StructLayout CONTEXT_PARAMS = MemoryLayout.structLayout(
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

  /** {@code struct llama_batch}, 56 bytes. */
  public static final StructLayout BATCH = MemoryLayout.structLayout(
      JAVA_INT.withName("n_tokens"),
      MemoryLayout.paddingLayout(4),
      ADDRESS.withName("token"),
      ADDRESS.withName("embd"),
      ADDRESS.withName("pos"),
      ADDRESS.withName("n_seq_id"),
      ADDRESS.withName("seq_id"),
      ADDRESS.withName("logits")).withName("llama_batch");

  /** {@code struct llama_sampler_chain_params}, 1 byte. */
  public static final StructLayout CHAIN_PARAMS = MemoryLayout.structLayout(
      JAVA_BOOLEAN.withName("no_perf")).withName("llama_sampler_chain_params");

  /** {@code struct llama_token_data}, 12 bytes. */
  public static final StructLayout TOKEN_DATA = MemoryLayout.structLayout(
      JAVA_INT.withName("id"),
      JAVA_FLOAT.withName("logit"),
      JAVA_FLOAT.withName("p")).withName("llama_token_data");

  /** {@code struct llama_token_data_array}, 32 bytes. */
  public static final StructLayout TOKEN_DATA_ARRAY = MemoryLayout.structLayout(
      ADDRESS.withName("data"),
      JAVA_LONG.withName("size"),
      JAVA_LONG.withName("selected"),
      JAVA_BOOLEAN.withName("sorted"),
      MemoryLayout.paddingLayout(7)).withName("llama_token_data_array");

  /** {@code struct llama_chat_message}: two C strings. */
  public static final StructLayout CHAT_MESSAGE = MemoryLayout.structLayout(
      ADDRESS.withName("role"),
      ADDRESS.withName("content")).withName("llama_chat_message");

  // Field offsets the wrappers use, derived from the layouts above.
  static final long MP_N_GPU_LAYERS = off(MODEL_PARAMS, "n_gpu_layers");
  static final long MP_SPLIT_MODE = off(MODEL_PARAMS, "split_mode");
  static final long MP_USE_MMAP = off(MODEL_PARAMS, "use_mmap");
  static final long MP_CHECK_TENSORS = off(MODEL_PARAMS, "check_tensors");
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
  static final long CM_ROLE = off(CHAT_MESSAGE, "role");
  static final long CM_CONTENT = off(CHAT_MESSAGE, "content");
  static final long TDA_DATA = off(TOKEN_DATA_ARRAY, "data");
  static final long TDA_SIZE = off(TOKEN_DATA_ARRAY, "size");
  static final long TDA_SELECTED = off(TOKEN_DATA_ARRAY, "selected");
  static final long TDA_SORTED = off(TOKEN_DATA_ARRAY, "sorted");
  static final long B_N_TOKENS = off(BATCH, "n_tokens");
  static final long B_TOKEN = off(BATCH, "token");
  static final long B_POS = off(BATCH, "pos");
  static final long B_N_SEQ_ID = off(BATCH, "n_seq_id");
  static final long B_SEQ_ID = off(BATCH, "seq_id");
  static final long B_LOGITS = off(BATCH, "logits");

  /** {@code llama_decode} result when the abort callback stopped it; the KV cache is rolled back. */
  public static final int DECODE_ABORTED = 2;

  /** ggml_log_level values, as passed to the log callback. */
  static final int LOG_DEBUG = 1, LOG_INFO = 2, LOG_WARN = 3, LOG_ERROR = 4, LOG_CONT = 5;

  static final FunctionDescriptor LOG_CALLBACK = FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS);
  static final FunctionDescriptor ABORT_CALLBACK = FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS);

  final Path libraryPath;
  final Linker linker = Linker.nativeLinker();
  private final SymbolLookup symbols;

  // Library and logging.
  final MethodHandle backendInit;
  final MethodHandle logSet;
  final MethodHandle printSystemInfo;
  final MethodHandle supportsGpuOffload;
  // Defaults (structs by value: invoked with a SegmentAllocator first).
  final MethodHandle modelDefaultParams;
  final MethodHandle contextDefaultParams;
  final MethodHandle samplerChainDefaultParams;
  // Model and vocabulary.
  final MethodHandle modelLoadFromFile;
  final MethodHandle modelFree;
  final MethodHandle modelGetVocab;
  final MethodHandle modelNCtxTrain;
  final MethodHandle modelNEmbd;
  final MethodHandle modelNLayer;
  final MethodHandle modelDesc;
  final MethodHandle modelSize;
  final MethodHandle modelNParams;
  final MethodHandle modelChatTemplate;
  final MethodHandle modelMetaValStr;
  final MethodHandle vocabNTokens;
  final MethodHandle vocabBos;
  final MethodHandle vocabEos;
  final MethodHandle vocabIsEog;
  final MethodHandle vocabGetAddBos;
  final MethodHandle tokenize;
  final MethodHandle tokenToPiece;
  final MethodHandle chatApplyTemplate;
  // Context and decoding.
  final MethodHandle initFromModel;
  final MethodHandle free;
  final MethodHandle nCtx;
  final MethodHandle batchInit;
  final MethodHandle batchFree;
  final MethodHandle decode;
  final MethodHandle getLogitsIth;
  final MethodHandle setAbortCallback;
  final MethodHandle kvSeqRm;
  final MethodHandle kvUsedCells;
  final MethodHandle kvClear;
  final MethodHandle kvDefrag;
  final MethodHandle kvUpdate;
  // Sampling.
  final MethodHandle samplerChainInit;
  final MethodHandle samplerChainAdd;
  final MethodHandle samplerInitGreedy;
  final MethodHandle samplerInitDist;
  final MethodHandle samplerInitTopK;
  final MethodHandle samplerInitTopP;
  final MethodHandle samplerInitMinP;
  final MethodHandle samplerInitTemp;
  final MethodHandle samplerInitPenalties;
  final MethodHandle samplerSample;
  final MethodHandle samplerApply;
  final MethodHandle samplerFree;
  final MethodHandle samplerAccept;
  final MethodHandle samplerInitGrammar;

  LlamaApi(Path libraryPath) {
    this.libraryPath = libraryPath;
    // A plain dlopen: JNI_OnLoad never runs and no de.kherud class is touched.
    this.symbols = SymbolLookup.libraryLookup(libraryPath, Arena.global());
    // Short, non-blocking calls that never call back into Java may skip the thread-state transition.
    Linker.Option critical = Linker.Option.critical(false);

    backendInit = fn("llama_backend_init", FunctionDescriptor.ofVoid());
    logSet = fn("llama_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    printSystemInfo = fn("llama_print_system_info", FunctionDescriptor.of(ADDRESS));
    supportsGpuOffload = fn("llama_supports_gpu_offload", FunctionDescriptor.of(JAVA_BOOLEAN));

    modelDefaultParams = fn("llama_model_default_params", FunctionDescriptor.of(MODEL_PARAMS));
    contextDefaultParams = fn("llama_context_default_params", FunctionDescriptor.of(CONTEXT_PARAMS));
    samplerChainDefaultParams = fn("llama_sampler_chain_default_params", FunctionDescriptor.of(CHAIN_PARAMS));

    modelLoadFromFile = fn("llama_model_load_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, MODEL_PARAMS));
    modelFree = fn("llama_model_free", FunctionDescriptor.ofVoid(ADDRESS));
    modelGetVocab = fn("llama_model_get_vocab", FunctionDescriptor.of(ADDRESS, ADDRESS));
    modelNCtxTrain = fn("llama_model_n_ctx_train", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    modelNEmbd = fn("llama_model_n_embd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    modelNLayer = fn("llama_model_n_layer", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    modelDesc = fn("llama_model_desc", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    modelSize = fn("llama_model_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    modelNParams = fn("llama_model_n_params", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    modelChatTemplate = fn("llama_model_chat_template", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    modelMetaValStr = fn("llama_model_meta_val_str", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    vocabNTokens = fn("llama_vocab_n_tokens", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    vocabBos = fn("llama_vocab_bos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    vocabEos = fn("llama_vocab_eos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    vocabIsEog = fn("llama_vocab_is_eog", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT), critical);
    vocabGetAddBos = fn("llama_vocab_get_add_bos", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
    tokenize = fn("llama_tokenize",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BOOLEAN, JAVA_BOOLEAN));
    tokenToPiece = fn("llama_token_to_piece",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_BOOLEAN), critical);
    chatApplyTemplate = fn("llama_chat_apply_template",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_BOOLEAN, ADDRESS, JAVA_INT));

    initFromModel = fn("llama_init_from_model", FunctionDescriptor.of(ADDRESS, ADDRESS, CONTEXT_PARAMS));
    free = fn("llama_free", FunctionDescriptor.ofVoid(ADDRESS));
    nCtx = fn("llama_n_ctx", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    batchInit = fn("llama_batch_init", FunctionDescriptor.of(BATCH, JAVA_INT, JAVA_INT, JAVA_INT));
    batchFree = fn("llama_batch_free", FunctionDescriptor.ofVoid(BATCH));
    // Never critical: it runs long and calls the abort and log callbacks.
    decode = fn("llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, BATCH));
    getLogitsIth = fn("llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    setAbortCallback = fn("llama_set_abort_callback", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
    kvSeqRm = fn("llama_kv_self_seq_rm", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    kvUsedCells = fn("llama_kv_self_used_cells", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    kvClear = fn("llama_kv_self_clear", FunctionDescriptor.ofVoid(ADDRESS));
    kvDefrag = fn("llama_kv_self_defrag", FunctionDescriptor.ofVoid(ADDRESS));
    kvUpdate = fn("llama_kv_self_update", FunctionDescriptor.ofVoid(ADDRESS));

    samplerChainInit = fn("llama_sampler_chain_init", FunctionDescriptor.of(ADDRESS, CHAIN_PARAMS));
    samplerChainAdd = fn("llama_sampler_chain_add", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    samplerInitGreedy = fn("llama_sampler_init_greedy", FunctionDescriptor.of(ADDRESS));
    samplerInitDist = fn("llama_sampler_init_dist", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    samplerInitTopK = fn("llama_sampler_init_top_k", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    samplerInitTopP = fn("llama_sampler_init_top_p", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
    samplerInitMinP = fn("llama_sampler_init_min_p", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
    samplerInitTemp = fn("llama_sampler_init_temp", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT));
    samplerInitPenalties = fn("llama_sampler_init_penalties",
        FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT));
    samplerSample = fn("llama_sampler_sample", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    samplerApply = fn("llama_sampler_apply", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    samplerFree = fn("llama_sampler_free", FunctionDescriptor.ofVoid(ADDRESS));
    samplerAccept = fn("llama_sampler_accept", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
    // llama_sampler_init_grammar(vocab, grammar_str, grammar_root): NULL when the grammar does not parse.
    samplerInitGrammar = fn("llama_sampler_init_grammar", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
  }

  private MethodHandle fn(String name, FunctionDescriptor descriptor, Linker.Option... options) {
    MemorySegment symbol = symbols.find(name).orElseThrow(() -> new LlamaException(
        libraryPath + " does not export " + name + ": it is not the llama.cpp build tokenbus expects (b4916)"));
    return linker.downcallHandle(symbol, descriptor, options);
  }

  /**
   * Reads the library's default parameter structs and compares them with the values measured for
   * build b4916. A library built from another llama.cpp version has other fields or defaults; using
   * it with these layouts would corrupt memory, so it is refused at start-up instead.
   */
  void verifyDefaults() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment cp = (MemorySegment) contextDefaultParams.invokeExact((SegmentAllocator) arena);
      MemorySegment mp = (MemorySegment) modelDefaultParams.invokeExact((SegmentAllocator) arena);
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
        throw new LlamaException(libraryPath + " is not the llama.cpp build tokenbus was written for (b4916):"
            + " its default parameters differ:" + mismatches);
      }
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw new LlamaException("could not read the default parameters of " + libraryPath + ": " + t, t);
    }
  }

  private static void expect(StringBuilder out, String field, int actual, int expected) {
    if (actual != expected) {
      out.append(' ').append(field).append('=').append(actual).append(" (expected ").append(expected).append(')');
    }
  }

  private static long off(StructLayout layout, String field) {
    return layout.byteOffset(groupElement(field));
  }

  static {
    if (MODEL_PARAMS.byteSize() != 64 || CONTEXT_PARAMS.byteSize() != 120 || BATCH.byteSize() != 56) {
      throw new ExceptionInInitializerError("llama struct layouts do not have their b4916 sizes");
    }
    if (off(CONTEXT_PARAMS, "abort_callback") != 104 || off(MODEL_PARAMS, "vocab_only") != 56) {
      throw new ExceptionInInitializerError("llama struct field offsets do not match b4916");
    }
  }

  /** A NUL-terminated UTF-8 C string read from native memory (null for NULL). */
  static String cString(MemorySegment p) {
    return p.equals(MemorySegment.NULL) ? null : p.reinterpret(Long.MAX_VALUE).getString(0);
  }
}
