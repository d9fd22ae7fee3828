package dev.tokenbus.engine.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

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
      MemorySegment path = arena.allocateFrom(file.toAbsolutePath().toString());
      LlamaLog.takeFirstError();
      model = api.abi.loadModel(path, gpuLayers);
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

  /**
   * Renders a conversation with {@code llama_chat_apply_template}. That function recognises a
   * template by its markers (or by a short name such as {@code chatml}); it does not run Jinja.
   *
   * @param template a Jinja template from a model's metadata, or a template name
   * @param roles the messages' roles, in order
   * @param contents the messages' texts, in order
   * @param addAssistant end with the opening of an assistant turn, for the model to complete
   * @return the prompt text, or null when llama.cpp does not recognise the template
   */
  public String applyChatTemplate(String template, List<String> roles, List<String> contents, boolean addAssistant) {
    int n = roles.size();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment chat = arena.allocate(LlamaApi.CHAT_MESSAGE, Math.max(1, n));
      long textBytes = 0;
      for (int i = 0; i < n; i++) {
        MemorySegment role = arena.allocateFrom(roles.get(i));
        MemorySegment content = arena.allocateFrom(contents.get(i));
        textBytes += role.byteSize() + content.byteSize();
        MemorySegment message = chat.asSlice(i * LlamaApi.CHAT_MESSAGE.byteSize(), LlamaApi.CHAT_MESSAGE.byteSize());
        message.set(ADDRESS, LlamaApi.CM_ROLE, role);
        message.set(ADDRESS, LlamaApi.CM_CONTENT, content);
      }
      MemorySegment tmpl = arena.allocateFrom(template);
      // Templates add a few dozen bytes per message; llama.cpp asks for a retry when that is not enough.
      long capacity = Math.min(Integer.MAX_VALUE, 2 * textBytes + 64L * n + 256);
      for (int attempt = 0; attempt < 2; attempt++) {
        MemorySegment buf = arena.allocate(capacity);
        int written = (int) api.chatApplyTemplate.invokeExact(tmpl, chat, (long) n, addAssistant, buf, (int) capacity);
        if (written < 0) {
          return null;
        }
        if (written <= capacity) {
          return new String(buf.asSlice(0, written).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        }
        capacity = written;
      }
      throw new LlamaException("llama_chat_apply_template asked for more room twice");
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw new LlamaException("llama_chat_apply_template failed: " + t, t);
    }
  }

  /**
   * A token's text with control tokens spelled out (as {@code <bos>}, {@code <|im_end|>}), the way a
   * chat template writes them; empty for an id outside the vocabulary or a token without text.
   */
  public String specialText(int token) {
    if (token < 0 || token >= pieces.length) {
      return "";
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(256);
      int n = (int) api.tokenToPiece.invokeExact(vocab, token, buf, (int) buf.byteSize(), 0, true);
      return n <= 0 ? "" : new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    } catch (Throwable t) {
      throw new LlamaException("llama_token_to_piece failed: " + t, t);
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

  /** Whether the loaded llama.cpp release computes embeddings ({@link NativeContext#createForEmbeddings}). */
  public boolean computesEmbeddings() {
    return api.abi.computesEmbeddings();
  }

  /** The length of the model's pooled embeddings. */
  public int embeddingSize() {
    try {
      return api.abi.embeddingSize(model);
    } catch (Throwable t) {
      throw new LlamaException("reading the model's embedding size failed: " + t, t);
    }
  }

  /** A GGUF metadata value as text (numbers in decimal), or null when the file has no such key. */
  public String metadata(String key) {
    checkOpen();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment k = arena.allocateFrom(key);
      MemorySegment buf = arena.allocate(256);
      int n = (int) api.modelMetaValStr.invokeExact(model, k, buf, buf.byteSize());
      if (n < 0) {
        return null;
      }
      if (n >= buf.byteSize()) {
        buf = arena.allocate(n + 1L);
        n = (int) api.modelMetaValStr.invokeExact(model, k, buf, buf.byteSize());
      }
      return buf.getString(0);
    } catch (Throwable t) {
      throw new LlamaException("reading metadata " + key + " failed: " + t, t);
    }
  }

  /** The model's own chat template from its GGUF metadata, or null. */
  public String chatTemplate() {
    return chatTemplate;
  }

  public Path file() {
    return file;
  }

  /**
   * The most bytes one token's KV cells can take: keys and values of every layer in f16, each at
   * most the embedding width (grouped-query attention makes them narrower).
   */
  public long maxKvBytesPerToken() {
    try {
      int layers = (int) api.modelNLayer.invokeExact(model);
      int embd = (int) api.modelNEmbd.invokeExact(model);
      return 2L * 2L * layers * embd;
    } catch (Throwable t) {
      throw new LlamaException("reading the model's shape failed: " + t, t);
    }
  }

  MemorySegment handle() {
    return model;
  }

  /** The vocabulary handle, for samplers that read it (grammar). */
  MemorySegment vocabHandle() {
    return vocab;
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
