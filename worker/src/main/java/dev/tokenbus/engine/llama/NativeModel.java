package dev.tokenbus.engine.llama;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A loaded model and its vocabulary. Every token's text piece and end-of-generation flag are
 * read once at load time, so the decode loop and the tokenizer never cross into native code for
 * them, and detokenizing is plain Java, safe from any thread. {@link #tokenize} reads only the
 * immutable vocabulary and may also be called from any thread.
 */
public final class NativeModel implements AutoCloseable {

  private final LlamaApi api;
  private final MemorySegment model;
  private final MemorySegment vocab;
  private final Path file;
  private final byte[][] pieces;
  private final boolean[] endOfGeneration;
  private final int maxPieceBytes;
  private final int bos;
  private final int eos;
  private final boolean addBos;
  private final int contextTrain;
  private final String description;
  private final long sizeBytes;
  private final long parameterCount;
  private final String chatTemplate;
  private volatile boolean closed;

  private NativeModel(LlamaApi api, MemorySegment model, Path file) throws Throwable {
    this.api = api;
    this.model = model;
    this.file = file;
    this.vocab = (MemorySegment) api.modelGetVocab.invokeExact(model);
    int n = (int) api.vocabNTokens.invokeExact(vocab);
    this.pieces = new byte[n][];
    this.endOfGeneration = new boolean[n];
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(256);
      int longest = 1;
      for (int t = 0; t < n; t++) {
        pieces[t] = piece(buf, t);
        longest = Math.max(longest, pieces[t].length);
        endOfGeneration[t] = (boolean) api.vocabIsEog.invokeExact(vocab, t);
      }
      this.maxPieceBytes = longest;
      MemorySegment desc = arena.allocate(256);
      int len = (int) api.modelDesc.invokeExact(model, desc, desc.byteSize());
      this.description = len > 0 ? desc.getString(0) : "";
      this.chatTemplate = LlamaApi.cString((MemorySegment) api.modelChatTemplate.invokeExact(model, MemorySegment.NULL));
    }
    this.bos = (int) api.vocabBos.invokeExact(vocab);
    this.eos = (int) api.vocabEos.invokeExact(vocab);
    this.addBos = (boolean) api.vocabGetAddBos.invokeExact(vocab);
    this.contextTrain = (int) api.modelNCtxTrain.invokeExact(model);
    this.sizeBytes = (long) api.modelSize.invokeExact(model);
    this.parameterCount = (long) api.modelNParams.invokeExact(model);
  }

  private byte[] piece(MemorySegment buf, int token) throws Throwable {
    int n = (int) api.tokenToPiece.invokeExact(vocab, token, buf, (int) buf.byteSize(), 0, false);
    if (n < 0) { // the piece is longer than the buffer: -n bytes are needed
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment big = arena.allocate(-n);
        n = (int) api.tokenToPiece.invokeExact(vocab, token, big, (int) big.byteSize(), 0, false);
        return big.asSlice(0, n).toArray(JAVA_BYTE);
      }
    }
    return buf.asSlice(0, n).toArray(JAVA_BYTE);
  }

  /**
   * Loads a GGUF file. llama.cpp reports a failed load only as NULL plus a log line, so the
   * logged reason is carried into the exception.
   */
  static NativeModel load(LlamaApi api, Path file, int gpuLayers) {
    MemorySegment model;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment params = (MemorySegment) api.modelDefaultParams.invokeExact((SegmentAllocator) arena);
      params.set(JAVA_INT, LlamaApi.MP_N_GPU_LAYERS, gpuLayers);
      MemorySegment path = arena.allocateFrom(file.toAbsolutePath().toString());
      LlamaLog.takeFirstError();
      model = (MemorySegment) api.modelLoadFromFile.invokeExact(path, params);
    } catch (Throwable t) {
      throw new LlamaException("llama_model_load_from_file failed: " + t, t);
    }
    if (model.equals(MemorySegment.NULL)) {
      String reason = LlamaLog.takeFirstError();
      throw new LlamaException("llama.cpp could not load " + file + (reason != null ? ": " + reason : ""));
    }
    try {
      return new NativeModel(api, model, file);
    } catch (Throwable t) {
      try {
        api.modelFree.invokeExact(model);
      } catch (Throwable ignored) {
        // already failing
      }
      throw new LlamaException("could not read the vocabulary of " + file + ": " + t, t);
    }
  }

  /**
   * Tokenizes UTF-8 text.
   *
   * @param addSpecial add BOS (and EOS) as the model's vocabulary asks
   * @param parseSpecial turn control-token text such as {@code <s>} into control tokens
   */
  public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
    checkOpen();
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment in = arena.allocate(utf8.length + 1L);
      MemorySegment.copy(utf8, 0, in, JAVA_BYTE, 0, utf8.length);
      int capacity = utf8.length + 2;
      MemorySegment out = arena.allocate(JAVA_INT, capacity);
      int n = (int) api.tokenize.invokeExact(vocab, in, utf8.length, out, capacity, addSpecial, parseSpecial);
      if (n < 0) {
        out = arena.allocate(JAVA_INT, -n);
        n = (int) api.tokenize.invokeExact(vocab, in, utf8.length, out, -n, addSpecial, parseSpecial);
      }
      if (n < 0) {
        throw new LlamaException("llama_tokenize failed (" + n + ")");
      }
      return out.asSlice(0, (long) n * Integer.BYTES).toArray(JAVA_INT);
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw new LlamaException("llama_tokenize failed: " + t, t);
    }
  }

  /** The raw bytes of a token's text (empty for control tokens). Not a copy: do not modify. */
  public byte[] pieceBytes(int token) {
    return pieces[token];
  }

  public boolean isEndOfGeneration(int token) {
    return endOfGeneration[token];
  }

  /** The longest text piece of any token, in bytes: no token covers more of a prompt. */
  public int maxPieceBytes() {
    return maxPieceBytes;
  }

  public int vocabSize() {
    return pieces.length;
  }

  public int bos() {
    return bos;
  }

  public int eos() {
    return eos;
  }

  /** Whether prompts start with BOS for this vocabulary. */
  public boolean addsBos() {
    return addBos;
  }

  public int contextTrain() {
    return contextTrain;
  }

  public String description() {
    return description;
  }

  public long sizeBytes() {
    return sizeBytes;
  }

  public long parameterCount() {
    return parameterCount;
  }

  /** The model's own chat template from its GGUF metadata, or null. */
  public String chatTemplate() {
    return chatTemplate;
  }

  public Path file() {
    return file;
  }

  MemorySegment handle() {
    return model;
  }

  LlamaApi api() {
    return api;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("model " + file + " is closed");
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      api.modelFree.invokeExact(model);
    } catch (Throwable t) {
      throw new LlamaException("llama_model_free failed: " + t, t);
    }
  }
}
