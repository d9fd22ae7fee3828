package dev.tokenbus.engine;

import dev.tokenbus.engine.gguf.GgufFormatException;
import dev.tokenbus.engine.gguf.GgufInfo;
import dev.tokenbus.engine.gguf.GgufValidator;
import dev.tokenbus.engine.llama.Llama;
import dev.tokenbus.engine.llama.FlashAttention;
import dev.tokenbus.engine.llama.LlamaException;
import dev.tokenbus.engine.llama.LlamaRelease;
import dev.tokenbus.engine.llama.LlamaReleases;
import dev.tokenbus.engine.llama.NativeContext;
import dev.tokenbus.engine.llama.NativeGrammar;
import dev.tokenbus.engine.llama.NativeModel;
import dev.tokenbus.engine.llama.Pooling;
import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.Tool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine: one model and one llama.cpp context, served by a dedicated platform thread running
 * the {@link DecodeLoop}. Callers submit from any thread; tokenization and admission run on the
 * caller's thread, decoding only on the engine's.
 */
public final class LlamaEngine implements Engine {

  private static final Logger LOG = LoggerFactory.getLogger(LlamaEngine.class);
  /** Past this the context default stops growing with the model's training context: memory is per slot. */
  private static final int DEFAULT_CONTEXT_CAP = 4096;
  private static final long DECODE_STACK_BYTES = 16L << 20;

  private final NativeModel model;
  private final ModelInfo info;
  private final ChatTemplate chatTemplate;
  /** The closing marker of the model's thinking as tokens, for a spent reasoning budget; null without thinking syntax. */
  private final int[] closeTokens;
  /** The text of the thinking markers' control tokens, whose pieces are empty (see {@link Sequence.Thinking}). */
  private final Map<Integer, byte[]> markerPieces;
  private final int slots;
  private final Admission admission;
  private final ArrayBlockingQueue<Sequence> incoming;
  private final DecodeLoop loop;
  private final Thread thread;
  private final GrammarParser grammars;
  /**
   * Callers tokenize on their own threads; close() must not free the model under them (that is a
   * use-after-free in native code). They hold the read side, close() takes the write side.
   */
  private final ReentrantReadWriteLock modelInUse = new ReentrantReadWriteLock();
  private volatile boolean closed;
  private final LlamaRelease profile;
  private final boolean prefixCache;
  private final FlashAttention flashAttention;
  /** Null where the llama.cpp release computes no embeddings. */
  private final LlamaEmbedder embedder;

  private LlamaEngine(EngineConfig config, NativeModel model, int contextPerSequence, LlamaRelease profile,
      Pooling pooling) {
    this.model = model;
    this.profile = profile;
    this.slots = config.slots();
    this.prefixCache = config.prefixCache();
    this.flashAttention = config.flashAttention();
    this.incoming = new ArrayBlockingQueue<>(slots);
    int threads = config.effectiveThreads();
    NativeContext.Params params = new NativeContext.Params(contextPerSequence * slots, config.batchSize(),
        config.microBatchSize(), slots, threads, threads, config.flashAttention());
    this.admission = new Admission(slots, model.vocabSize(), contextPerSequence);
    this.loop = new DecodeLoop(model, params, contextPerSequence, config.prefillChunk(), config.prefixCache(), incoming,
        admission::releaseSlot);
    this.info = new ModelInfo(config.model(), model.description(), model.vocabSize(), model.contextTrain(),
        contextPerSequence, model.sizeBytes(), model.parameterCount(), model.chatTemplate());
    this.chatTemplate = ChatTemplate.of(model);
    ReasoningSyntax syntax = chatTemplate.reasoningSyntax();
    this.closeTokens = syntax == null ? null : model.tokenize(syntax.forcedClose(), false, true);
    this.markerPieces = syntax == null ? Map.of() : markerPieces(model, syntax);
    if (syntax != null) {
      LOG.info("the model's thinking is split from its answer ({} syntax)", syntax.name());
    }
    this.grammars = new GrammarParser(model, GrammarParser.DEFAULT_TIMEOUT_MS);
    // An input's tokens all go into one ubatch (pooling needs the whole sequence at once): sized like a step.
    this.embedder = !model.computesEmbeddings() ? null : new LlamaEmbedder(model, text -> tokenize(text, true, false),
        pooling, Math.min(contextPerSequence, config.batchSize()), threads, config.flashAttention());
    // A roomy stack: matching a grammar recurses along its chains of rules (on b4916, up to GbnfCheck.MAX_DEPTH).
    this.thread = Thread.ofPlatform().name("tokenbus-decode").daemon(false).stackSize(DECODE_STACK_BYTES)
        .unstarted(loop);
    thread.start();
    LOG.info("engine ready: {} ({}) on llama.cpp {}, {} slots x {} tokens of context, {} threads, batch {},"
        + " prefix cache {}, flash attention {}, embeddings {}", config.model().getFileName(),
        model.description(), profile, slots, contextPerSequence, threads, config.batchSize(),
        config.prefixCache() ? "on" : "off", config.flashAttention(), embedder == null ? "none on this release"
            : embedder.dimensions() + " wide with " + pooling + " pooling");
  }

  /**
   * Checks the model file, loads it and starts the decode thread.
   *
   * @throws ModelLoadException the file is missing, corrupt or refused by llama.cpp
   * @throws LlamaException the native library cannot be used
   */
  public static LlamaEngine start(EngineConfig config) {
    GgufInfo gguf;
    try {
      gguf = GgufValidator.validate(config.model());
    } catch (GgufFormatException e) {
      throw new ModelLoadException("cannot load model: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read model " + config.model() + ": " + e.getMessage(), e);
    }
    Llama llama = Llama.open(config.llamaProfile(), config.nativeLibrary());
    if (!llama.knowsArchitecture(gguf.architecture())) {
      throw new ModelLoadException("cannot load model " + config.model() + ": its architecture '"
          + gguf.architecture() + "' is not implemented by llama.cpp " + llama.release()
          + (llama.release() != LlamaReleases.current() ? " (use llama-profile " + LlamaReleases.current() + ")" : ""));
    }
    long t0 = System.nanoTime();
    NativeModel model;
    try {
      model = llama.loadModel(config.model(), config.gpuLayers() < 0 ? Integer.MAX_VALUE : config.gpuLayers());
    } catch (LlamaException e) {
      throw new ModelLoadException(e.getMessage(), e);
    }
    LOG.info("loaded {} ({} architecture, {} parameters, {} MiB) in {} ms", config.model(), gguf.architecture(),
        model.parameterCount(), model.sizeBytes() >> 20, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    int perSequence = config.contextPerSequence() > 0 ? config.contextPerSequence()
        : Math.min(model.contextTrain() > 0 ? model.contextTrain() : DEFAULT_CONTEXT_CAP, DEFAULT_CONTEXT_CAP);
    try {
      return new LlamaEngine(config, model, perSequence, llama.release(), pooling(config, model, gguf));
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * The configured pooling, else the model's own ({@code <architecture>.pooling_type}), else mean
   * (what a generative model, which declares none, is embedded with).
   */
  private static Pooling pooling(EngineConfig config, NativeModel model, GgufInfo gguf) {
    if (config.pooling() != null) {
      return config.pooling();
    }
    String declared = model.metadata(gguf.architecture() + ".pooling_type");
    Pooling own = null;
    if (declared != null) {
      try {
        own = Pooling.ofLlamaType(Integer.parseInt(declared.strip()));
      } catch (NumberFormatException e) {
        LOG.warn("ignoring {}.pooling_type '{}': not a number", gguf.architecture(), declared);
      }
    }
    return own != null ? own : Pooling.MEAN;
  }

  @Override
  public Optional<Embedder> embedder() {
    return Optional.ofNullable(embedder);
  }

  @Override
  public Generation submit(GenerationRequest request, List<Integer> resume, TokenSink sink) {
    dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.SUBMIT);
    Admission.validate(request, resume);
    Lock lock = modelInUse.readLock();
    lock.lock();
    try {
      return admit(request, resume, sink);
    } finally {
      lock.unlock();
    }
  }

  private Generation admit(GenerationRequest request, List<Integer> resume, TokenSink sink) {
    if (closed) {
      throw new AdmissionException(AdmissionException.Reason.SHUTTING_DOWN, "the engine is shutting down");
    }
    if (loop.failure() != null) {
      throw new AdmissionException(AdmissionException.Reason.SHUTTING_DOWN,
          "the engine failed: " + loop.failure().getMessage());
    }
    int[] given = admission.givenPrompt(request);
    String text = given != null ? null : promptText(request);
    int[] prompt = given != null ? given : tokenize(text);
    int[] tokens = admission.withResumed(prompt, resume);
    NativeGrammar grammar = parseGrammar(request.config().grammar());
    // An adopted state kept for this generation brings its own slot reservation (and the seed it sampled with).
    DecodeLoop.Pin pin = resume.isEmpty() && !loop.pinned(request.id()) ? null : loop.claimPin(request.id());
    if (pin == null && !admission.tryReserveSlot()) {
      if (grammar != null) {
        grammar.close();
      }
      throw new AdmissionException(AdmissionException.Reason.NO_FREE_SLOT, "all " + slots + " slots are busy");
    }
    Long requested = request.config().seed();
    long seed = requested != null ? requested
        : pin != null ? pin.seed() : ThreadLocalRandom.current().nextLong(0, 1L << 31);
    ReasoningSyntax syntax = chatTemplate.reasoningSyntax();
    Sequence.Thinking thinking = syntax == null ? null
        : new Sequence.Thinking(syntax, syntax.startsInside(text), closeTokens, markerPieces);
    Sequence s = new Sequence(request, tokens, prompt.length, sink, seed, grammar, loop::cancelled, pin, thinking);
    for (int t : resume) {
      s.replayText(t, model.pieceBytes(t));
    }
    sink.drainHandler(loop::wake);
    dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.QUEUED);
    incoming.add(s); // never full: every queued sequence holds one of the slots reserved above
    loop.wake();
    return s;
  }

  /**
   * The markers' tokens that llama.cpp gives no text (control tokens, as gpt-oss's channel markers
   * are), with their text, so that the split can find the markers; other control tokens stay silent.
   */
  private static Map<Integer, byte[]> markerPieces(NativeModel model, ReasoningSyntax syntax) {
    Map<Integer, byte[]> pieces = new java.util.HashMap<>();
    for (String marker : new String[] {syntax.open(), syntax.close(), syntax.answerStart()}) {
      if (marker == null) {
        continue;
      }
      for (int t : model.tokenize(marker, false, true)) {
        if (model.pieceBytes(t).length == 0) {
          pieces.put(t, model.specialText(t).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
      }
    }
    return Map.copyOf(pieces);
  }

  /** The request's text prompt, or its conversation rendered with the chat template. */
  private String promptText(GenerationRequest request) {
    return request.isChat() ? chatTemplate.render(request.messages(), request.tools(), request.templateArgs())
        : request.prompt();
  }

  /** A prompt's text as tokens. */
  private int[] tokenize(String text) {
    // Every token covers at most the longest piece of the vocabulary: a prompt with more bytes than
    // that many pieces cannot fit, and tokenizing it first could take seconds (llama.cpp's
    // tokenizer is quadratic on long runs of one character).
    admission.checkTextLength(text, model.maxPieceBytes());
    int[] prompt = model.tokenize(text, true, true);
    if (prompt.length == 0) {
      throw new RequestValidationException("prompt", "prompt has no tokens");
    }
    return prompt;
  }

  /**
   * The request's grammar parsed for this model, or null without one; one that is refused (see
   * {@link GrammarParser}) is a 400.
   */
  private NativeGrammar parseGrammar(String gbnf) {
    return gbnf == null ? null : grammars.parse(gbnf);
  }

  @Override
  public boolean prefixCache() {
    return prefixCache;
  }

  /** Why the engine can no longer generate, or null while it can. */
  @Override
  public Throwable failure() {
    return loop.failure();
  }

  @Override
  public EngineStats stats() {
    return loop.stats().withActive(admission.reserved());
  }

  @Override
  public CompletionStage<SequenceState> copyState(Generation generation) {
    if (!(generation instanceof Sequence s)) {
      throw new IllegalArgumentException("not a generation of this engine: " + generation);
    }
    return loop.copyState(s);
  }

  @Override
  public Adoption reserveAdoption(String requestId, int tokens) {
    if (closed || loop.failure() != null) {
      throw new AdmissionException(AdmissionException.Reason.SHUTTING_DOWN, "the engine is shutting down");
    }
    if (tokens < 1 || tokens > info.contextPerSequence()) {
      throw new AdmissionException(AdmissionException.Reason.PROMPT_TOO_LONG, "a state of " + tokens
          + " tokens does not fit this model's context of " + info.contextPerSequence() + " tokens per request");
    }
    admission.reserveSlot();
    loop.adoptionsInTransfer.incrementAndGet();
    loop.wake(); // publishes the stats with the slot taken
    return new Adoption() {
      private final java.util.concurrent.atomic.AtomicBoolean used = new java.util.concurrent.atomic.AtomicBoolean();

      @Override
      public CompletionStage<Void> adopt(int[] cells, long seed, java.lang.foreign.MemorySegment kv, long holdMs) {
        if (!used.compareAndSet(false, true)) {
          throw new IllegalStateException("this reservation was used or released already");
        }
        loop.adoptionsInTransfer.decrementAndGet(); // the loop's pin (or the release on failure) takes over
        if (cells.length != tokens) {
          admission.releaseSlot();
          throw new IllegalArgumentException("the state holds " + cells.length + " tokens, " + tokens + " were announced");
        }
        for (int t : cells) {
          if (t < 0 || t >= model.vocabSize()) {
            admission.releaseSlot();
            throw new IllegalArgumentException("token id " + t + " is outside this model's vocabulary");
          }
        }
        return loop.adopt(requestId, cells, seed, kv, TimeUnit.MILLISECONDS.toNanos(holdMs));
      }

      @Override
      public void release() {
        if (used.compareAndSet(false, true)) {
          loop.adoptionsInTransfer.decrementAndGet();
          admission.releaseSlot();
          loop.wake();
        }
      }
    };
  }

  @Override
  public void dropAdopted(String requestId) {
    loop.dropPin(requestId);
  }

  @Override
  public long maxStateBytes(int tokens) {
    return (long) tokens * model.maxKvBytesPerToken() + (1L << 20); // + llama.cpp's headers and positions
  }

  /**
   * Only the current release adopts and hands off states: that its draw stage draws exactly once per
   * token, which rebuilding a sampler by token relies on, is known (and tested) for it alone.
   */
  @Override
  public String stateFormat() {
    return profile != LlamaReleases.current() ? null
        : "llama.cpp " + profile + "; kv f16; flash attention " + flashAttention;
  }

  /** The llama.cpp release this engine runs on. */
  public LlamaRelease llamaProfile() {
    return profile;
  }

  @Override
  public ModelInfo model() {
    return info;
  }

  @Override
  public String renderChat(List<ChatMessage> messages, List<Tool> tools, JsonObject templateArgs) {
    Lock lock = modelInUse.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new AdmissionException(AdmissionException.Reason.SHUTTING_DOWN, "the engine is shutting down");
      }
      return chatTemplate.render(messages, tools, templateArgs);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public ChatTemplate chatTemplate() {
    return chatTemplate;
  }

  @Override
  public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
    Lock lock = modelInUse.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new AdmissionException(AdmissionException.Reason.SHUTTING_DOWN, "the engine is shutting down");
      }
      return model.tokenize(text, addSpecial, parseSpecial);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public byte[] pieceBytes(int token) {
    admission.checkToken(token, "tokens");
    return model.pieceBytes(token);
  }

  @Override
  public String detokenize(int[] tokens) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int t : tokens) {
      admission.checkToken(t, "tokens");
      out.writeBytes(model.pieceBytes(t));
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    // Under the write lock: submits in flight finish queueing first, so the loop's last sweep ends them.
    Lock closing = modelInUse.writeLock();
    closing.lock();
    try {
      closed = true;
    } finally {
      closing.unlock();
    }
    loop.stop();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.error("the decode thread did not stop within 30 s; leaving the model loaded");
      return;
    }
    if (embedder != null && !embedder.close()) {
      LOG.error("the embedding thread did not stop within 30 s; leaving the model loaded");
      return;
    }
    if (!grammars.close(TimeUnit.SECONDS.toMillis(30))) {
      LOG.error("a grammar parse did not end within 30 s; leaving the model loaded");
      return;
    }
    model.close(); // no caller can reach the model now: each checks closed under the read lock
    LOG.info("engine stopped");
  }

}
