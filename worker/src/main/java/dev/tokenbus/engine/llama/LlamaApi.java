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
 * The llama.cpp C API as far as it is the same in every supported release: the shared struct
 * layouts ({@code llama_batch}, the sampler and chat structs) and the function handles whose
 * signatures have not changed. What differs between releases (the parameter structs, the KV-cache
 * functions, the penalties sampler, the self-check and the known architectures) lives behind
 * {@link LlamaAbi}, one implementation per {@link LlamaRelease}; {@link #abi} is the loaded one.
 * Everything else in the engine goes through the typed wrappers ({@link NativeModel},
 * {@link NativeContext}, {@link NativeBatch}, {@link NativeSampler}) and never sees which release is loaded.
 */
public final class LlamaApi {

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

  /** {@code llama_logit_bias}: a token and the bias added to its logit; the same in every supported release. */
  public static final StructLayout LOGIT_BIAS = MemoryLayout.structLayout(
      JAVA_INT.withName("token"),
      JAVA_FLOAT.withName("bias")).withName("llama_logit_bias");

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
  final MethodHandle samplerChainDefaultParams;
  // Model and vocabulary.
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
  final MethodHandle free;
  final MethodHandle nCtx;
  final MethodHandle batchInit;
  final MethodHandle batchFree;
  final MethodHandle decode;
  final MethodHandle getLogitsIth;
  final MethodHandle getEmbeddingsSeq;
  final MethodHandle setAbortCallback;
  // One sequence's state (its KV cells), the same in every supported release.
  final MethodHandle stateSeqGetSize;
  final MethodHandle stateSeqGetData;
  final MethodHandle stateSeqSetData;
  // Sampling.
  final MethodHandle samplerChainInit;
  final MethodHandle samplerChainAdd;
  final MethodHandle samplerInitGreedy;
  final MethodHandle samplerInitDist;
  final MethodHandle samplerInitTopK;
  final MethodHandle samplerInitTopP;
  final MethodHandle samplerInitMinP;
  final MethodHandle samplerInitTemp;
  final MethodHandle samplerInitGrammar;
  final MethodHandle samplerInitLogitBias;
  final MethodHandle samplerSample;
  final MethodHandle samplerApply;
  final MethodHandle samplerFree;
  final MethodHandle samplerAccept;
  /** What differs in the loaded release. */
  final LlamaAbi abi;

  /**
   * Opens a library and binds it for a release. Throws {@link LlamaException} when a function is
   * missing; the caller runs {@link LlamaAbi#verifyDefaults()} before using it.
   */
  LlamaApi(Path libraryPath, LlamaRelease release) {
    this.libraryPath = libraryPath;
    // A plain dlopen (its own dependencies are found through the library's RUNPATH): JNI_OnLoad
    // never runs and no de.kherud class is touched.
    this.symbols = SymbolLookup.libraryLookup(libraryPath, Arena.global());
    // Short, non-blocking calls that never call back into Java may skip the thread-state transition.
    Linker.Option critical = Linker.Option.critical(false);

    backendInit = fn("llama_backend_init", FunctionDescriptor.ofVoid());
    logSet = fn("llama_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    printSystemInfo = fn("llama_print_system_info", FunctionDescriptor.of(ADDRESS));
    supportsGpuOffload = fn("llama_supports_gpu_offload", FunctionDescriptor.of(JAVA_BOOLEAN));

    samplerChainDefaultParams = fn("llama_sampler_chain_default_params", FunctionDescriptor.of(CHAIN_PARAMS));

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

    free = fn("llama_free", FunctionDescriptor.ofVoid(ADDRESS));
    nCtx = fn("llama_n_ctx", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    batchInit = fn("llama_batch_init", FunctionDescriptor.of(BATCH, JAVA_INT, JAVA_INT, JAVA_INT));
    batchFree = fn("llama_batch_free", FunctionDescriptor.ofVoid(BATCH));
    // Never critical: it runs long and calls the abort and log callbacks.
    decode = fn("llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, BATCH));
    getLogitsIth = fn("llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    getEmbeddingsSeq = fn("llama_get_embeddings_seq", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    setAbortCallback = fn("llama_set_abort_callback", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
    stateSeqGetSize = fn("llama_state_seq_get_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
    stateSeqGetData = fn("llama_state_seq_get_data",
        FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    stateSeqSetData = fn("llama_state_seq_set_data",
        FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));

    samplerChainInit = fn("llama_sampler_chain_init", FunctionDescriptor.of(ADDRESS, CHAIN_PARAMS));
    samplerChainAdd = fn("llama_sampler_chain_add", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    samplerInitGreedy = fn("llama_sampler_init_greedy", FunctionDescriptor.of(ADDRESS));
    samplerInitDist = fn("llama_sampler_init_dist", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    samplerInitTopK = fn("llama_sampler_init_top_k", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    samplerInitTopP = fn("llama_sampler_init_top_p", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
    samplerInitMinP = fn("llama_sampler_init_min_p", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
    samplerInitTemp = fn("llama_sampler_init_temp", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT));
    samplerInitGrammar = fn("llama_sampler_init_grammar", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    // (n_vocab, n_logit_bias, const llama_logit_bias *): v0.5.0 and b4916 alike.
    samplerInitLogitBias = fn("llama_sampler_init_logit_bias",
        FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    samplerSample = fn("llama_sampler_sample", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    samplerApply = fn("llama_sampler_apply", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    samplerFree = fn("llama_sampler_free", FunctionDescriptor.ofVoid(ADDRESS));
    samplerAccept = fn("llama_sampler_accept", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));

    this.abi = release.bind(this);
  }

  /** Binds an exported function; a missing one means the library is not the release of {@link #abi}. */
  MethodHandle fn(String name, FunctionDescriptor descriptor, Linker.Option... options) {
    return fn(symbols, name, descriptor, options);
  }

  /** Binds a function of another library of the same release (ggml's, beside llama's). */
  MethodHandle fn(SymbolLookup lookup, String name, FunctionDescriptor descriptor, Linker.Option... options) {
    MemorySegment symbol = lookup.find(name).orElseThrow(() -> new LlamaException(
        libraryPath + " does not export " + name + ": it is not a llama.cpp build that tokenbus supports"
            + " (" + LlamaReleases.names(" or ") + "); choose the matching llama-profile"));
    return linker.downcallHandle(symbol, descriptor, options);
  }

  /** Whether the library exports a function (used to recognise a release). */
  static boolean exports(Path library, String name) {
    try (Arena arena = Arena.ofConfined()) {
      return SymbolLookup.libraryLookup(library, arena).find(name).isPresent();
    }
  }

  /**
   * An allocator that gives each struct returned by value 4 KiB of room behind it, for the self-check:
   * a library from another release may return a larger struct than the layout expects, and its
   * writes must land in memory we own rather than corrupt the heap before the check can refuse it.
   */
  static SegmentAllocator oversized(Arena arena) {
    return (size, alignment) -> arena.allocate(size + 4096, Math.max(alignment, 16)).asSlice(0, size);
  }

  /** Appends {@code field=actual (expected ...)} to a mismatch report when they differ. */
  static void expect(StringBuilder out, String field, long actual, long expected) {
    if (actual != expected) {
      out.append(' ').append(field).append('=').append(actual).append(" (expected ").append(expected).append(')');
    }
  }

  static long off(StructLayout layout, String field) {
    return layout.byteOffset(groupElement(field));
  }

  static {
    if (BATCH.byteSize() != 56 || TOKEN_DATA_ARRAY.byteSize() != 32) {
      throw new ExceptionInInitializerError("llama_batch / llama_token_data_array layouts do not have their sizes");
    }
  }

  /** A NUL-terminated UTF-8 C string read from native memory (null for NULL). */
  static String cString(MemorySegment p) {
    return p.equals(MemorySegment.NULL) ? null : p.reinterpret(Long.MAX_VALUE).getString(0);
  }
}
