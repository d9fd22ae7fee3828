package dev.tokenbus.engine.llama;


import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.BooleanSupplier;

/**
 * A llama.cpp context: the KV cache (one pool shared by all sequences on b4916, one cache per
 * sequence on v0.5.0), and decoding. Not thread-safe: every
 * call must come from the one thread that owns it (the engine's decode thread); llama.cpp does not
 * serialise calls on a context itself.
 */
public final class NativeContext implements AutoCloseable {

  /** How the context is sized and threaded. */
  public record Params(int contextSize, int batchSize, int microBatchSize, int sequences, int threads,
      int batchThreads, FlashAttention flashAttention) {

    public Params {
      java.util.Objects.requireNonNull(flashAttention, "flashAttention");
    }
  }

  private final LlamaApi api;
  private final NativeModel model;
  private final MemorySegment ctx;
  private final int contextSize;
  private final int sequences;
  private final long logitsBytes;
  private final Arena callbackArena = Arena.ofShared();
  private final MemorySegment abortStub;
  private boolean abortInstalled;
  private boolean closed;

  private NativeContext(LlamaApi api, NativeModel model, MemorySegment ctx, int sequences, BooleanSupplier abortCheck)
      throws Throwable {
    this.api = api;
    this.sequences = sequences;
    this.model = model;
    this.ctx = ctx;
    this.contextSize = (int) api.nCtx.invokeExact(ctx);
    this.logitsBytes = (long) model.vocabSize() * Float.BYTES;
    MethodHandle check = MethodHandles.lookup()
        .findVirtual(BooleanSupplier.class, "getAsBoolean", MethodType.methodType(boolean.class))
        .bindTo(abortCheck);
    // The C callback receives a user-data pointer we do not need.
    check = MethodHandles.dropArguments(check, 0, MemorySegment.class);
    this.abortStub = api.linker.upcallStub(check, LlamaApi.ABORT_CALLBACK, callbackArena);
  }

  /**
   * Creates a context for a model.
   *
   * @param abortCheck polled by llama.cpp while decoding (on the decoding thread) once the abort
   *     callback is {@linkplain #enableAbort enabled}; true stops the decode, which then returns
   *     {@link LlamaApi#DECODE_ABORTED} with the KV cache rolled back. It must be cheap and must not throw.
   */
  public static NativeContext create(NativeModel model, Params p, BooleanSupplier abortCheck) {
    return create(model, p, abortCheck, (abi, m) -> abi.initContext(m, p));
  }

  /**
   * Creates an embedding context for a model: every token of a decode is output, and
   * {@link #embedding} gives each sequence's hidden states pooled by {@code pooling}. Its KV cells
   * are one pool shared by the sequences of a decode.
   */
  public static NativeContext createForEmbeddings(NativeModel model, Params p, Pooling pooling) {
    return create(model, p, () -> false, (abi, m) -> abi.initEmbeddingContext(m, p, pooling));
  }

  /** How a context is made in the loaded release. */
  private interface Init {
    MemorySegment init(LlamaAbi abi, MemorySegment model) throws Throwable;
  }

  private static NativeContext create(NativeModel model, Params p, BooleanSupplier abortCheck, Init init) {
    LlamaApi api = model.api();
    MemorySegment ctx;
    try {
      LlamaLog.takeFirstError();
      ctx = init.init(api.abi, model.handle());
    } catch (Throwable t) {
      throw new LlamaException("llama_init_from_model failed: " + t, t);
    }
    if (ctx.equals(MemorySegment.NULL)) {
      String reason = LlamaLog.takeFirstError();
      throw new LlamaException("llama.cpp could not create a context of " + p.contextSize() + " tokens"
          + (reason != null ? ": " + reason : ""));
    }
    try {
      return new NativeContext(api, model, ctx, p.sequences(), abortCheck);
    } catch (Throwable t) {
      try {
        api.free.invokeExact(ctx);
      } catch (Throwable ignored) {
        // already failing
      }
      throw new LlamaException("could not set up the context: " + t, t);
    }
  }

  /** Total KV cells over all sequences (on v0.5.0 each sequence owns an equal share, rounded up to 256). */
  public int contextSize() {
    return contextSize;
  }

  public NativeModel model() {
    return model;
  }

  /** Runs the model on a batch. 0 is success, {@link LlamaApi#DECODE_ABORTED} aborted, anything else failed. */
  public int decode(NativeBatch batch) {
    try {
      return (int) api.decode.invokeExact(ctx, batch.struct());
    } catch (Throwable t) {
      throw new LlamaException("llama_decode failed: " + t, t);
    }
  }

  /**
   * The logits row of batch entry {@code i} (which must have asked for logits), valid until the
   * next decode.
   */
  public MemorySegment logits(int i) {
    MemorySegment row;
    try {
      row = (MemorySegment) api.getLogitsIth.invokeExact(ctx, i);
    } catch (Throwable t) {
      throw new LlamaException("llama_get_logits_ith failed: " + t, t);
    }
    if (row.equals(MemorySegment.NULL)) {
      throw new LlamaException("no logits for batch entry " + i);
    }
    return row.reinterpret(logitsBytes);
  }

  /**
   * Copies sequence {@code seq}'s pooled embedding after the last decode into {@code out}, whose
   * length must be the model's {@linkplain NativeModel#embeddingSize embedding size} (an embedding
   * context only).
   */
  public void embedding(int seq, float[] out) {
    MemorySegment row;
    try {
      row = (MemorySegment) api.getEmbeddingsSeq.invokeExact(ctx, seq);
    } catch (Throwable t) {
      throw new LlamaException("llama_get_embeddings_seq failed: " + t, t);
    }
    if (row.equals(MemorySegment.NULL)) {
      throw new LlamaException("no pooled embedding for sequence " + seq);
    }
    MemorySegment.copy(row.reinterpret((long) out.length * Float.BYTES), java.lang.foreign.ValueLayout.JAVA_FLOAT, 0,
        out, 0, out.length);
  }

  /** Whether llama.cpp polls the abort check during decodes. Polling costs a little, so it is off for short steps. */
  public void enableAbort(boolean enabled) {
    if (enabled == abortInstalled) {
      return;
    }
    try {
      MemorySegment callback = enabled ? abortStub : MemorySegment.NULL;
      api.setAbortCallback.invokeExact(ctx, callback, MemorySegment.NULL);
    } catch (Throwable t) {
      throw new LlamaException("llama_set_abort_callback failed: " + t, t);
    }
    abortInstalled = enabled;
  }

  /** Frees every KV cell of a sequence. */
  public void removeSequence(int seq) {
    try {
      if (!api.abi.removeSequence(ctx, seq)) {
        throw new LlamaException("llama.cpp refused to remove the KV cells of sequence " + seq);
      }
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw new LlamaException("removing the KV cells of sequence " + seq + " failed: " + t, t);
    }
  }

  /**
   * Frees a sequence's KV cells at positions {@code from} and above, keeping its prefix.
   *
   * @return false where llama.cpp cannot cut a sequence (recurrent memory); nothing was freed then
   */
  public boolean removeTail(int seq, int from) {
    try {
      return api.abi.removeTail(ctx, seq, from);
    } catch (Throwable t) {
      throw new LlamaException("removing the KV cells of sequence " + seq + " from position " + from
          + " failed: " + t, t);
    }
  }

  /**
   * Copies one sequence's state (its KV cells and their positions, in llama.cpp's own format) into
   * native memory from {@code arena}; {@link #setSequenceState} on a context of the same model,
   * release and KV layout puts it back.
   */
  public MemorySegment sequenceState(int seq, Arena arena) {
    try {
      long size = (long) api.stateSeqGetSize.invokeExact(ctx, seq);
      MemorySegment dst = arena.allocate(Math.max(1, size), 64);
      long written = (long) api.stateSeqGetData.invokeExact(ctx, dst, size, seq);
      if (written != size) {
        throw new LlamaException("llama_state_seq_get_data wrote " + written + " of " + size + " bytes");
      }
      return dst.asSlice(0, size);
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw new LlamaException("copying the state of sequence " + seq + " failed: " + t, t);
    }
  }

  /**
   * Loads a state from {@link #sequenceState} into sequence {@code seq}, whose cells the caller
   * emptied first.
   *
   * @throws LlamaException llama.cpp refused it (another model, KV type or layout)
   */
  public void setSequenceState(int seq, MemorySegment state) {
    long read;
    try {
      read = (long) api.stateSeqSetData.invokeExact(ctx, state, state.byteSize(), seq);
    } catch (Throwable t) {
      throw new LlamaException("loading a state into sequence " + seq + " failed: " + t, t);
    }
    if (read == 0) {
      throw new LlamaException("llama.cpp refused the sequence state (" + state.byteSize()
          + " bytes): another model, KV type or layout, or no room in the KV cache");
    }
  }

  /** KV cells in use, over all sequences. */
  public int usedCells() {
    try {
      return api.abi.usedCells(ctx, sequences);
    } catch (Throwable t) {
      throw new LlamaException("counting used KV cells failed: " + t, t);
    }
  }

  /** Compacts the KV cache now, so that a batch needing contiguous cells can fit. */
  public void defragment() {
    try {
      api.abi.defragment(ctx);
    } catch (Throwable t) {
      throw new LlamaException("KV cache defragmentation failed: " + t, t);
    }
  }

  /** Empties the KV cache of every sequence. */
  public void clear() {
    try {
      api.abi.clear(ctx);
    } catch (Throwable t) {
      throw new LlamaException("clearing the KV cache failed: " + t, t);
    }
  }

  MemorySegment handle() {
    return ctx;
  }

  LlamaApi api() {
    return api;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      api.free.invokeExact(ctx);
    } catch (Throwable t) {
      throw new LlamaException("llama_free failed: " + t, t);
    } finally {
      callbackArena.close();
    }
  }
}
