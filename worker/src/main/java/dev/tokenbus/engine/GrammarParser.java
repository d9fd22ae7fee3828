package dev.tokenbus.engine;

import dev.tokenbus.engine.llama.InvalidGrammarException;
import dev.tokenbus.engine.llama.NativeGrammar;
import dev.tokenbus.engine.llama.NativeModel;
import dev.tokenbus.grammar.GbnfCheck;
import dev.tokenbus.protocol.RequestValidationException;
import dev.tokenbus.protocol.StreamConfig;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Turns a request's GBNF grammar into a {@link NativeGrammar} for the engine's model, safely:
 *
 * <ol>
 *   <li>the grammar has already passed {@link GbnfCheck} in {@link StreamConfig#validate()}, which
 *       {@link LlamaEngine#submit} runs first: a grammar too deep, too large or self-contradictory for
 *       llama.cpp never reaches this class (a request from a gateway that did not check is still refused);
 *   <li>llama.cpp's parser runs on one of at most {@value #THREADS} dedicated platform threads
 *       with a {@value #STACK_MIB} MiB stack, never on the caller's thread (an event loop, or a
 *       worker-pool thread with the default stack): its parser recurses once per nested group;
 *   <li>a grammar that no token of the vocabulary can start is refused: it could only end its
 *       generation in an error.
 * </ol>
 *
 * <p><b>Time.</b> The caller waits at most {@link #timeoutMs} for the parse (queueing included)
 * and is then refused. Native code cannot be interrupted: a parse that overruns keeps running on
 * its thread until llama.cpp returns, then frees what it made; that thread meanwhile serves no
 * other grammar. Should all {@value #THREADS} threads be held so (the checks above make this
 * unexpected), further grammars wait in a queue of {@value #QUEUE} and are refused when it is full
 * or their wait runs out; requests without a grammar are never affected. {@link #close} waits for
 * running parses, which use the model, before the engine frees it.
 */
final class GrammarParser implements AutoCloseable {

  static final int THREADS = 2;
  static final int STACK_MIB = 64;
  static final int QUEUE = 64;
  static final long DEFAULT_TIMEOUT_MS = 10_000;

  private final NativeModel model;
  private final long timeoutMs;
  private final Function<String, NativeGrammar> nativeParse;
  private final ThreadPoolExecutor executor;

  GrammarParser(NativeModel model, long timeoutMs) {
    this(model, timeoutMs, gbnf -> NativeGrammar.parse(model, gbnf));
  }

  /** With {@code nativeParse} standing for llama.cpp's parser (a test holds it back to overrun the time). */
  GrammarParser(NativeModel model, long timeoutMs, Function<String, NativeGrammar> nativeParse) {
    this.model = model;
    this.timeoutMs = timeoutMs;
    this.nativeParse = nativeParse;
    AtomicInteger n = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
        task -> new Thread(null, task, "tokenbus-grammar-" + n.incrementAndGet(), (long) STACK_MIB << 20));
    executor.allowCoreThreadTimeOut(true);
  }

  /**
   * The grammar for this model, owned by the caller; {@code gbnf} must have passed {@link GbnfCheck}
   * (as {@link StreamConfig#validate()} does), which this does not repeat.
   *
   * @throws RequestValidationException ({@code grammar}) when it does not parse, cannot start with
   *     any token, or takes longer than the time limit to parse
   * @throws AdmissionException when the parser threads are all busy and their queue is full
   */
  NativeGrammar parse(String gbnf) {
    CompletableFuture<NativeGrammar> result = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        if (result.isDone()) {
          return; // the caller gave up while this waited in the queue
        }
        try {
          NativeGrammar g = startable(nativeParse.apply(gbnf));
          if (!result.complete(g)) {
            g.close(); // the caller gave up while llama.cpp parsed
          }
        } catch (RuntimeException e) {
          result.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      throw new AdmissionException(AdmissionException.Reason.NO_FREE_SLOT,
          "every grammar parser is busy: " + QUEUE + " grammars are waiting");
    }
    return await(result);
  }

  /** {@code grammar} if some token of the vocabulary can start it; else it is closed and refused. */
  private NativeGrammar startable(NativeGrammar grammar) {
    try {
      if (grammar.mask(new float[model.vocabSize()], model.vocabSize()) == 0) {
        throw refused("allows no token of this model's vocabulary to start with, so it could generate nothing"
            + " (does it ask for a character that no token holds, such as \\x00?)");
      }
      return grammar;
    } catch (RuntimeException e) {
      grammar.close();
      throw e;
    }
  }

  private NativeGrammar await(CompletableFuture<NativeGrammar> result) {
    try {
      return result.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      if (!result.completeExceptionally(e)) {
        return await(result); // it finished just now
      }
      throw refused("took longer than " + timeoutMs + " ms to parse");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof InvalidGrammarException invalid) {
        throw refused("is not valid GBNF (" + invalid.getMessage() + ")");
      }
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result.completeExceptionally(e);
      throw new AdmissionException(AdmissionException.Reason.SHUTTING_DOWN, "interrupted while parsing the grammar");
    }
  }

  private static RequestValidationException refused(String why) {
    return new RequestValidationException("grammar", "grammar " + why);
  }

  /**
   * Stops taking grammars and waits up to {@code waitMs} for the parses running.
   *
   * @return whether none is running any more (else the model must stay loaded: one still uses it)
   */
  boolean close(long waitMs) {
    executor.shutdownNow(); // queued parses never start; running ones cannot be interrupted
    try {
      return executor.awaitTermination(waitMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    close(0);
  }
}
