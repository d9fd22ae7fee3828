package dev.tokenbus.engine.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * A reusable {@code llama_batch} of up to {@code capacity} tokens, each in one sequence. Allocated
 * once by llama.cpp and refilled every step, so a step allocates nothing.
 */
public final class NativeBatch implements AutoCloseable {

  private final LlamaApi api;
  // Shared: the batch is made on the starting thread and filled on the decode thread.
  private final Arena arena = Arena.ofShared();
  private final MemorySegment struct;
  private final MemorySegment tokens;
  private final MemorySegment positions;
  private final MemorySegment seqIdCounts;
  private final MemorySegment[] seqIds;
  private final MemorySegment logits;
  private final int capacity;
  private int size;
  private boolean closed;

  public NativeBatch(NativeContext context, int capacity) {
    this.api = context.api();
    this.capacity = capacity;
    try {
      this.struct = (MemorySegment) api.batchInit.invokeExact((SegmentAllocator) arena, capacity, 0, 1);
    } catch (Throwable t) {
      throw new LlamaException("llama_batch_init failed: " + t, t);
    }
    this.tokens = struct.get(ADDRESS, LlamaApi.B_TOKEN).reinterpret((long) capacity * Integer.BYTES);
    this.positions = struct.get(ADDRESS, LlamaApi.B_POS).reinterpret((long) capacity * Integer.BYTES);
    this.seqIdCounts = struct.get(ADDRESS, LlamaApi.B_N_SEQ_ID).reinterpret((long) capacity * Integer.BYTES);
    this.logits = struct.get(ADDRESS, LlamaApi.B_LOGITS).reinterpret(capacity);
    MemorySegment seqIdPointers = struct.get(ADDRESS, LlamaApi.B_SEQ_ID).reinterpret(capacity * ADDRESS.byteSize());
    this.seqIds = new MemorySegment[capacity];
    for (int i = 0; i < capacity; i++) {
      seqIds[i] = seqIdPointers.getAtIndex(ADDRESS, i).reinterpret(Integer.BYTES);
    }
  }

  /** Appends a token; returns its index in the batch (the row to read logits from). */
  public int add(int token, int position, int sequence, boolean wantLogits) {
    if (size == capacity) {
      throw new IllegalStateException("batch is full (" + capacity + " tokens)");
    }
    int i = size++;
    tokens.setAtIndex(JAVA_INT, i, token);
    positions.setAtIndex(JAVA_INT, i, position);
    seqIdCounts.setAtIndex(JAVA_INT, i, 1);
    seqIds[i].set(JAVA_INT, 0, sequence);
    logits.set(JAVA_BYTE, i, (byte) (wantLogits ? 1 : 0));
    return i;
  }

  public void clear() {
    size = 0;
  }

  public int size() {
    return size;
  }

  public int capacity() {
    return capacity;
  }

  public int remaining() {
    return capacity - size;
  }

  /** The struct, passed by value to llama_decode, with n_tokens brought up to date. */
  MemorySegment struct() {
    struct.set(JAVA_INT, LlamaApi.B_N_TOKENS, size);
    return struct;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      struct.set(JAVA_INT, LlamaApi.B_N_TOKENS, 0);
      api.batchFree.invokeExact(struct);
    } catch (Throwable t) {
      throw new LlamaException("llama_batch_free failed: " + t, t);
    } finally {
      arena.close();
    }
  }
}
