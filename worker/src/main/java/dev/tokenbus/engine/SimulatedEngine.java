package dev.tokenbus.engine;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.Tool;
import java.nio.file.Path;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An engine without a model, for measuring the cluster at a scale real models cannot reach on one
 * machine ({@code --model simulated}): it loads no weights and computes nothing, but schedules like
 * the real engine (slots, continuous batching, pause while a client does not read, cancel, stop
 * sequences, {@code max_tokens}, timeouts, the prefix cache) and takes as long as a model would:
 * {@link Config#itlMs()} per decode step and {@link Config#prefillTokensPerSecond()} for prompts.
 * Its text is made-up words, a function of the prompt and the seed (see {@link SimulatedLoop}), so
 * failover and resume can be checked for exact text. It refuses grammars, and hands off no KV state.
 * Never a default: it is only started when asked for by name.
 */
public final class SimulatedEngine implements Engine {

  /** The name that asks for this engine in place of a model file. */
  public static final String NAME = "simulated";

  private static final Logger LOG = LoggerFactory.getLogger(SimulatedEngine.class);
  private static final String CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
      + "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

  /**
   * @param slots sequences generating at once
   * @param contextPerSequence tokens one sequence holds, prompt and output
   * @param batch most tokens one step takes (generated and prompt)
   * @param itlMs how long a step that generates takes
   * @param prefillTokensPerSecond how fast prompt tokens are taken in
   * @param prefixCache whether finished sequences' tokens stay in their slot for a later prompt sharing them
   */
  public record Config(int slots, int contextPerSequence, int batch, long itlMs, int prefillTokensPerSecond,
      boolean prefixCache) {

    /** The defaults the command line documents. */
    public static final long DEFAULT_ITL_MS = 20;
    public static final int DEFAULT_PREFILL_TPS = 5000;
    /** The context per sequence when none is given. */
    public static final int DEFAULT_CONTEXT = 4096;

    public Config {
      check(slots >= 1 && slots <= 65_536, "slots must be between 1 and 65536, got " + slots);
      check(contextPerSequence >= 2 && contextPerSequence <= 1 << 20,
          "ctx must be between 2 and 1048576 for the simulated engine, got " + contextPerSequence);
      check(batch >= 1, "batch must be 1 or more, got " + batch);
      check(itlMs >= 0 && itlMs <= 60_000, "sim-itl-ms must be between 0 and 60000, got " + itlMs);
      check(prefillTokensPerSecond >= 1 && prefillTokensPerSecond <= 100_000_000,
          "sim-prefill-tps must be between 1 and 100000000, got " + prefillTokensPerSecond);
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  private final Config config;
  private final SimulatedVocabulary vocabulary = new SimulatedVocabulary();
  private final Admission admission;
  private final ArrayBlockingQueue<Sequence> incoming;
  private final SimulatedLoop loop;
  private final Thread thread;
  private final ModelInfo info;
  private final ChatTemplate chatTemplate;
  /** Submits hold the read side while they queue; close() takes the write side, so the loop's last sweep ends them. */
  private final ReentrantReadWriteLock queueing = new ReentrantReadWriteLock();
  private volatile boolean closed;

  private SimulatedEngine(Config config) {
    this.config = config;
    this.admission = new Admission(config.slots(), vocabulary.size(), config.contextPerSequence());
    this.incoming = new ArrayBlockingQueue<>(config.slots());
    this.loop = new SimulatedLoop(vocabulary, config, incoming, admission::releaseSlot);
    this.info = new ModelInfo(Path.of(NAME), describe(config), vocabulary.size(), config.contextPerSequence(),
        config.contextPerSequence(), 0, 0, CHATML);
    this.chatTemplate = ChatTemplate.jinja(CHATML, "", "");
    this.thread = Thread.ofPlatform().name("tokenbus-simulated-decode").daemon(true).unstarted(loop);
  }

  /** Starts an engine and its scheduling thread. */
  public static SimulatedEngine start(Config config) {
    SimulatedEngine e = new SimulatedEngine(config);
    e.thread.start();
    LOG.info("engine ready: {}, {} slots x {} tokens of context, batch {}, prefix cache {}", e.info.description(),
        config.slots(), config.contextPerSequence(), config.batch(), config.prefixCache() ? "on" : "off");
    return e;
  }

  private static String describe(Config c) {
    return "simulated model (no weights; " + c.itlMs() + " ms per token, prefill " + c.prefillTokensPerSecond()
        + " tokens/s)";
  }

  /** This engine's settings. */
  public Config config() {
    return config;
  }

  @Override
  public Generation submit(GenerationRequest request, List<Integer> resume, TokenSink sink) {
    Admission.validate(request, resume);
    Lock lock = queueing.readLock();
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
    if (request.config().grammar() != null) {
      throw new RequestValidationException("grammar",
          "the simulated engine does not constrain its output: grammars, JSON schemas and required tool calls"
              + " need a real model");
    }
    int[] given = admission.givenPrompt(request);
    int[] prompt = given != null ? given : tokenize(request);
    int[] tokens = admission.withResumed(prompt, resume);
    admission.reserveSlot();
    Long requested = request.config().seed();
    long seed = requested != null ? requested : ThreadLocalRandom.current().nextLong(0, 1L << 31);
    Sequence s = new Sequence(request, tokens, prompt.length, sink, seed, null, loop::cancelled);
    for (int t : resume) {
      s.replayText(t, vocabulary.piece(t));
    }
    sink.drainHandler(loop::wake);
    incoming.add(s); // never full: every queued sequence holds one of the slots reserved above
    loop.wake();
    return s;
  }

  private int[] tokenize(GenerationRequest request) {
    String text = request.isChat() ? chatTemplate.render(request.messages(), request.tools(), request.templateArgs())
        : request.prompt();
    admission.checkTextLength(text, 1); // text that is not made of the engine's words is a token a byte
    int[] prompt = vocabulary.tokenize(text, true);
    if (prompt.length < 2) {
      throw new RequestValidationException("prompt", "prompt has no tokens");
    }
    return prompt;
  }

  @Override
  public EngineStats stats() {
    return loop.stats().withActive(admission.reserved());
  }

  @Override
  public CompletionStage<SequenceState> copyState(Generation generation) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("the simulated engine holds no KV state"));
  }

  @Override
  public Adoption reserveAdoption(String requestId, int tokens) {
    throw new AdmissionException(AdmissionException.Reason.NO_FREE_SLOT,
        "the simulated engine adopts no KV state");
  }

  @Override
  public void dropAdopted(String requestId) {}

  @Override
  public long maxStateBytes(int tokens) {
    return 0;
  }

  /** None: the simulated engine neither hands off nor adopts state; its streams move by replay. */
  @Override
  public String stateFormat() {
    return null;
  }

  @Override
  public ModelInfo model() {
    return info;
  }

  @Override
  public boolean simulated() {
    return true;
  }

  @Override
  public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
    return vocabulary.tokenize(text, addSpecial);
  }

  @Override
  public byte[] pieceBytes(int token) {
    return vocabulary.piece(admission.checkToken(token, "tokens")).clone();
  }

  @Override
  public String renderChat(List<ChatMessage> messages, List<Tool> tools, JsonObject templateArgs) {
    return chatTemplate.render(messages, tools, templateArgs);
  }

  @Override
  public ChatTemplate chatTemplate() {
    return chatTemplate;
  }

  @Override
  public boolean prefixCache() {
    return config.prefixCache();
  }

  @Override
  public Throwable failure() {
    return loop.failure();
  }

  @Override
  public String detokenize(int[] tokens) {
    for (int t : tokens) {
      admission.checkToken(t, "tokens");
    }
    return vocabulary.detokenize(tokens);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    Lock closing = queueing.writeLock();
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
    LOG.info("engine stopped");
  }
}
