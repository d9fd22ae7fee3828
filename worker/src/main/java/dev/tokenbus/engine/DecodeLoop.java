package dev.tokenbus.engine;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.tokenbus.engine.llama.LlamaApi;
import dev.tokenbus.engine.llama.NativeBatch;
import dev.tokenbus.engine.llama.NativeContext;
import dev.tokenbus.engine.llama.NativeModel;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.TopLogprob;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler that runs on the engine's one decode thread. Each step it builds one batch from
 * every sequence that may advance: one token per generating sequence, plus chunks of pending
 * prompts (continuous batching), decodes it, then samples and emits a token for every sequence
 * whose logits came out. Sequences whose sink is full are left out (paused) and keep their KV
 * cells. Cancellation and timeouts are applied between steps, and during a step that processes
 * prompt tokens through llama.cpp's abort callback.
 *
 * <p>Slot {@code i} is llama.cpp sequence {@code i}. With the prefix cache on, a sequence that ends
 * leaves its KV cells in its slot; the {@link PrefixCache} hands the next sequence the idle slot
 * sharing the longest token prefix with its prompt, the loop cuts that slot's cells to the shared
 * part and prefills only the rest.
 */
final class DecodeLoop implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(DecodeLoop.class);
  private static final long MAX_IDLE_NANOS = 1_000_000_000L;

  private final NativeModel model;
  private final NativeContext context;
  private final NativeBatch batch;
  private final int slots;
  private final int contextPerSequence;
  private final int prefillChunk;
  private final Queue<Sequence> incoming;
  private final Runnable releaseSlot;
  private final PrefixCache cache;
  private final List<Sequence> active = new ArrayList<>();
  private final LogitScan scan = new LogitScan(LogitKernels.best());
  private final float[] logits;
  private final AtomicBoolean signal = new AtomicBoolean();
  /** Work other threads hand to the decode thread (state copies and adoptions), run between steps. */
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** Adopted states waiting for their generation, by request id; claimed by submitters, expired here. */
  private final Map<String, Pin> pins = new ConcurrentHashMap<>();

  /**
   * A slot holding cells adopted from another worker, kept (with one slot reservation) for the
   * generation that continues from them until {@code expiresNanos}.
   */
  record Pin(String requestId, int slot, long seed, long expiresNanos) {}

  /** Slots reserved for states still in transfer (see {@link Adoption}): counted as active in the stats. */
  final AtomicInteger adoptionsInTransfer = new AtomicInteger();

  private volatile Thread thread;
  private volatile boolean stopping;
  private volatile boolean exited;
  private volatile boolean abortRequested;
  private volatile long stepDeadlineNanos = Long.MAX_VALUE;
  private volatile EngineStats stats;
  private volatile Throwable failure;
  private int prefillCap;
  private int promptRotation;
  private long steps;
  private long tokensGenerated;
  private int lastRunning;
  private int lastPaused;

  DecodeLoop(NativeModel model, NativeContext.Params params, int contextPerSequence, int prefillChunk,
      boolean prefixCache, Queue<Sequence> incoming, Runnable releaseSlot) {
    this.model = model;
    this.slots = params.sequences();
    this.contextPerSequence = contextPerSequence;
    this.prefillChunk = prefillChunk;
    this.prefillCap = prefillChunk;
    this.incoming = incoming;
    this.releaseSlot = releaseSlot;
    this.context = NativeContext.create(model, params, this::shouldAbort);
    this.batch = new NativeBatch(context, params.batchSize());
    this.logits = new float[model.vocabSize()];
    this.cache = new PrefixCache(slots, contextPerSequence, prefixCache);
    publishStats(0);
  }

  int contextSize() {
    return context.contextSize();
  }

  EngineStats stats() {
    return stats;
  }

  /** Why the loop stopped on its own, or null while it runs (or after a normal stop). */
  Throwable failure() {
    return failure;
  }

  /** Wakes the loop: new work, a cancel, or a sink with room again. Any thread. */
  void wake() {
    signal.set(true);
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  /** Called from any thread when a generation is cancelled. */
  void cancelled(Sequence s) {
    // Stop a long prompt step at once; the step is redone without the cancelled sequence.
    abortRequested = true;
    wake();
  }

  void stop() {
    stopping = true;
    wake();
  }

  /** Polled by llama.cpp during steps that process prompt tokens. */
  private boolean shouldAbort() {
    return abortRequested || System.nanoTime() > stepDeadlineNanos;
  }

  @Override
  public void run() {
    thread = Thread.currentThread();
    try {
      while (!stopping) {
        step();
      }
    } catch (Throwable t) {
      failure = t;
      stopping = true;
      LOG.error("decode loop failed; ending every generation", t);
      endAll(FinishReason.ERROR, "engine failure: " + t.getMessage());
    } finally {
      stopping = true;
      endAll(FinishReason.CANCELLED, "engine shut down");
      batch.close();
      context.close();
      exited = true;
      endAll(FinishReason.CANCELLED, "engine shut down"); // tasks queued while it closed
    }
  }

  private void step() {
    abortRequested = false;
    runTasks();
    admit();
    long now = System.nanoTime();
    applyCancelsAndDeadlines(now);
    long wakeAt = plan(now);
    if (batch.size() == 0) {
      publishStats(0);
      awaitWork(wakeAt - System.nanoTime());
      return;
    }
    boolean promptStep = hasPromptTokens();
    context.enableAbort(promptStep);
    stepDeadlineNanos = promptStep ? earliestDeadlineInStep() : Long.MAX_VALUE;
    publishStats(batch.size());
    dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.STEP_START);
    int rc = context.decode(batch);
    dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.STEP_END);
    stepDeadlineNanos = Long.MAX_VALUE;
    if (rc == LlamaApi.DECODE_ABORTED) {
      rollBackStep(); // cancels and deadlines are applied next step; the others redo theirs
    } else if (rc != 0) {
      decodeFailed(rc, promptStep);
    } else {
      steps++;
      prefillCap = Math.min(prefillChunk, prefillCap * 2);
      advance();
    }
    publishStats(0);
  }

  private void runTasks() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      task.run();
    }
    if (!pins.isEmpty()) {
      long now = System.nanoTime();
      for (Pin pin : pins.values()) {
        if (now - pin.expiresNanos() >= 0 && pins.remove(pin.requestId(), pin)) {
          LOG.info("adopted state of generation {} was not claimed in time; slot {} goes back to the prefix cache",
              pin.requestId(), pin.slot());
          unpin(pin);
        }
      }
    }
  }

  /**
   * Runs {@code task} on the decode thread between steps. Any thread. Once the loop has exited the
   * task runs at once on the caller's thread: {@link #stopping} is set and {@link #active} empty
   * then, and every task checks those before it touches the context.
   */
  private void onLoop(Runnable task) {
    tasks.add(task);
    wake();
    if (exited) {
      Runnable t;
      while ((t = tasks.poll()) != null) {
        t.run();
      }
    }
  }

  /** Gives back a pinned slot nobody continues from: its cells become a prefix-cache entry. */
  private void unpin(Pin pin) {
    if (exited) {
      releaseSlot.run(); // the context is gone with its cells
      return;
    }
    if (cache.release(pin.slot(), true)) {
      context.removeSequence(pin.slot());
    }
    releaseSlot.run();
  }

  /**
   * Takes the adopted state kept for generation {@code requestId}, with its slot reservation, or
   * returns null when there is none (never adopted, or expired). Any thread.
   */
  Pin claimPin(String requestId) {
    return pins.isEmpty() ? null : pins.remove(requestId);
  }

  /** Gives back the slot of the adopted state kept for generation {@code requestId}, if any. Any thread. */
  void dropPin(String requestId) {
    Pin pin = claimPin(requestId);
    if (pin != null) {
      onLoop(() -> unpin(pin));
    }
  }

  /** Whether an adopted state waits for generation {@code requestId}. Any thread. */
  boolean pinned(String requestId) {
    return pins.containsKey(requestId);
  }

  /**
   * Copies {@code s}'s KV cells and the tokens they hold at the next step boundary (see
   * {@link Engine#copyState}). Any thread.
   */
  CompletableFuture<SequenceState> copyState(Sequence s) {
    var done = new CompletableFuture<SequenceState>();
    onLoop(() -> {
      if (!active.contains(s) || s.seqId < 0) {
        done.completeExceptionally(new IllegalStateException("generation " + s.id() + " is not running"));
        return;
      }
      int n = cache.length(s.seqId);
      if (n == 0) {
        done.completeExceptionally(new IllegalStateException("generation " + s.id() + " has no KV cells yet"));
        return;
      }
      Arena arena = Arena.ofShared();
      try {
        MemorySegment kv = context.sequenceState(s.seqId, arena);
        done.complete(new SequenceState(s.id(), Arrays.copyOf(cache.tokens(s.seqId), n),
            s.promptTokens(), s.seed(), kv, arena));
      } catch (RuntimeException e) {
        arena.close();
        done.completeExceptionally(e);
      }
    });
    return done;
  }

  /**
   * Loads an adopted state into an idle slot and pins it for generation {@code requestId}; the
   * caller holds one slot reservation, which the pin keeps (or which is released when the load fails).
   * Any thread.
   */
  CompletableFuture<Void> adopt(String requestId, int[] tokens, long seed, MemorySegment kv,
      long holdNanos) {
    var done = new CompletableFuture<Void>();
    onLoop(() -> {
      if (stopping) {
        releaseSlot.run();
        done.completeExceptionally(new AdmissionException(AdmissionException.Reason.SHUTTING_DOWN,
            "the engine is shutting down"));
        return;
      }
      int slot = cache.claimIdle();
      try {
        load(slot, kv);
      } catch (RuntimeException e) {
        context.removeSequence(slot);
        cache.release(slot, false);
        releaseSlot.run();
        done.completeExceptionally(e);
        return;
      }
      cache.decoded(slot, tokens, 0, tokens.length);
      Pin pin = new Pin(requestId, slot, seed, System.nanoTime() + holdNanos);
      Pin old = pins.put(requestId, pin);
      if (old != null) {
        unpin(old); // a second adoption for one generation: the newer state wins
      }
      publishStats(0);
      done.complete(null);
    });
    return done;
  }

  /** Loads a state into an emptied slot; compacts the cache and tries once more when it finds no room. */
  private void load(int slot, MemorySegment kv) {
    context.removeSequence(slot);
    try {
      context.setSequenceState(slot, kv);
    } catch (dev.tokenbus.engine.llama.LlamaException first) {
      context.removeSequence(slot);
      context.defragment();
      context.setSequenceState(slot, kv);
    }
  }

  private void admit() {
    Sequence s;
    while ((s = incoming.poll()) != null) {
      if (s.cancelRequested()) {
        s.finish(FinishReason.CANCELLED, null);
        if (s.pin != null) {
          unpin(s.pin);
        } else {
          releaseSlot.run();
        }
        continue;
      }
      try {
        s.picker = new TokenPicker(context, s.config(), s.seed(), contextPerSequence, s.grammar());
        if (s.pin != null) {
          for (int t : s.resumedTokens()) {
            s.picker.replayToken(t);
          }
        }
      } catch (RuntimeException e) {
        if (s.picker != null) {
          s.picker.close();
        }
        s.finish(FinishReason.ERROR, (s.picker == null ? "could not create a sampler: " : "resuming failed: ")
            + e.getMessage());
        if (s.pin != null) {
          unpin(s.pin);
        } else {
          releaseSlot.run();
        }
        continue;
      }
      dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.ADMITTED);
      take(s);
      s.state(GenerationState.PROMPT);
      active.add(s);
    }
  }

  /**
   * Gives an admitted sequence its slot and starts its prompt after the cached prefix it shares.
   * The last prompt token is always evaluated again (its logits are sampled), and a sampler that
   * replays resumed tokens gets all of them evaluated.
   */
  private void take(Sequence s) {
    int maxReuse = s.prompt().length - 1;
    if (s.picker.replays() && s.pin == null) {
      maxReuse = Math.min(maxReuse, s.promptTokens() - 1);
    }
    PrefixCache.Lease lease = s.pin != null ? cache.reacquire(s.pin.slot(), s.prompt(), maxReuse)
        : cache.acquire(s.prompt(), maxReuse, s.config().cachePrompt());
    int reused = lease.reused();
    if (!context.removeTail(lease.slot(), reused)) {
      context.removeSequence(lease.slot());
      cache.reuseFailed(lease);
      reused = 0;
    }
    s.seqId = lease.slot();
    s.promptDone = reused;
    s.position = reused;
    s.reusedTokens = reused;
    s.cachedTokens = Math.min(reused, s.promptTokens());
  }

  private void applyCancelsAndDeadlines(long now) {
    for (int i = active.size() - 1; i >= 0; i--) {
      Sequence s = active.get(i);
      if (s.cancelRequested()) {
        end(s, FinishReason.CANCELLED, null);
      } else if (now - s.deadlineNanos >= 0) {
        emitSafely(s, () -> s.emitEnd(FinishReason.TIMEOUT));
        end(s, FinishReason.TIMEOUT, null);
      }
    }
  }

  /** Fills the batch; returns when the loop must look again if the batch stays empty. */
  private long plan(long now) {
    batch.clear();
    long wakeAt = now + MAX_IDLE_NANOS;
    int running = 0;
    int paused = 0;
    for (Sequence s : active) {
      wakeAt = Math.min(wakeAt, s.deadlineNanos);
      if (!s.promptComplete()) {
        continue;
      }
      if (s.sink().writeQueueFull()) {
        s.state(GenerationState.PAUSED);
        paused++;
      } else if (now - s.notBeforeNanos < 0) {
        s.state(GenerationState.PAUSED); // stream_delay_ms pacing
        wakeAt = Math.min(wakeAt, s.notBeforeNanos);
      } else {
        s.state(GenerationState.GENERATING);
        s.batchRow = batch.add(s.lastToken, s.position, s.seqId, true);
        running++;
      }
    }
    // Prompts fill the rest of the batch, a chunk each, starting with a different one every step.
    int n = active.size();
    for (int k = 0; k < n && batch.remaining() > 0; k++) {
      Sequence s = active.get((promptRotation + k) % n);
      if (s.promptComplete()) {
        continue;
      }
      int[] prompt = s.prompt();
      int take = s.prefillTake(Math.min(batch.remaining(), prefillCap));
      for (int j = 0; j < take; j++) {
        int p = s.promptDone + j;
        boolean last = p == prompt.length - 1;
        boolean replay = s.replaysAt(p);
        int row = batch.add(prompt[p], p, s.seqId, last || replay);
        if (last) {
          s.batchRow = row;
        }
        if (replay) {
          if (s.replayRows++ == 0) {
            s.replayRow = row;
            s.replayPosition = p;
          }
        }
      }
      s.promptInStep = take;
    }
    promptRotation = n == 0 ? 0 : (promptRotation + 1) % n;
    lastRunning = running;
    lastPaused = paused;
    return wakeAt;
  }

  private boolean hasPromptTokens() {
    for (Sequence s : active) {
      if (s.promptInStep > 0) {
        return true;
      }
    }
    return false;
  }

  private long earliestDeadlineInStep() {
    long d = Long.MAX_VALUE;
    for (Sequence s : active) {
      if (s.batchRow >= 0 || s.promptInStep > 0) {
        d = Math.min(d, s.deadlineNanos);
      }
    }
    return d;
  }

  private void advance() {
    // Iterate over a copy: sampling may end sequences.
    for (Sequence s : active.toArray(new Sequence[0])) {
      boolean hadPrompt = s.promptInStep > 0;
      if (s.replayRows > 0) {
        try {
          replay(s);
        } catch (RuntimeException e) {
          LOG.error("generation {} failed while replaying resumed tokens; ending it", s.id(), e);
          end(s, FinishReason.ERROR, "resuming failed: " + e.getMessage());
          continue;
        }
      }
      if (hadPrompt) {
        cache.decoded(s.seqId, s.prompt(), s.promptDone, s.promptInStep);
        s.promptDone += s.promptInStep;
        s.position += s.promptInStep;
        s.promptInStep = 0;
      } else if (s.batchRow >= 0) {
        cache.decoded(s.seqId, s.position, s.lastToken);
        s.position++;
      }
      if (s.batchRow >= 0) {
        int row = s.batchRow;
        s.batchRow = -1;
        if (hadPrompt) {
          s.state(GenerationState.GENERATING);
        }
        try {
          sample(s, row);
        } catch (GrammarDeadEndException e) {
          LOG.info("generation {} ends: {}", s.id(), e.getMessage());
          end(s, FinishReason.ERROR, e.getMessage());
        } catch (RuntimeException e) {
          // One sequence's failure (a sampler error, say) ends that sequence, never the loop.
          LOG.error("generation {} failed while sampling; ending it", s.id(), e);
          end(s, FinishReason.ERROR, "sampling failed: " + e.getMessage());
        }
      }
    }
  }

  /** Replays the sampler over the resumed tokens this step processed, in order. */
  private void replay(Sequence s) {
    int[] tokens = s.prompt();
    for (int k = 0; k < s.replayRows; k++) {
      int row = s.replayRow + k;
      int expected = tokens[s.replayPosition + k + 1];
      MemorySegment.copy(context.logits(row), JAVA_FLOAT, 0, logits, 0, logits.length);
      scan.scan(logits, logits.length, s.picker.candidatesNeeded());
      int picked = s.picker.replay(context, row, scan, logits, expected);
      if (picked != expected) {
        LOG.debug("generation {}: replay picked {} where {} was streamed; the logits differ slightly", s.id(),
            picked, expected);
      }
    }
    s.replayRows = 0;
    s.replayRow = -1;
  }

  private void sample(Sequence s, int row) {
    MemorySegment.copy(context.logits(row), JAVA_FLOAT, 0, logits, 0, logits.length);
    int topN = s.config().topLogprobs();
    scan.scan(logits, logits.length, Math.max(s.picker.candidatesNeeded(), topN));
    // Logprobs describe the model's own distribution: read them before a grammar narrows the choice.
    double logSumExp = scan.logSumExp;
    List<TopLogprob> top = topN == 0 ? List.of() : scan.top(topN, this::text);
    int token = pickOrForce(s, row);
    double logprob = logits[token] - logSumExp;
    boolean contextFull = s.position >= contextPerSequence;
    tokensGenerated++;
    FinishReason[] reason = new FinishReason[1];
    boolean ok = emitSafely(s, () -> reason[0] = s.onToken(token, model.pieceBytes(token),
        model.isEndOfGeneration(token), logprob, top, contextFull));
    if (!ok) {
      return;
    }
    if (reason[0] != null) {
      end(s, reason[0], null);
    } else {
      s.lastToken = token;
      long delay = s.config().streamDelayMs();
      if (delay > 0) {
        s.notBeforeNanos = System.nanoTime() + delay * 1_000_000L;
      }
    }
  }

  /**
   * The sampled token, or the one the sequence must write instead (a think block's closing marker
   * when its budget is spent), which the sampler takes as if it had picked it, as for a resumed token.
   * A grammar that does not allow the forced token leaves the choice to sampling.
   */
  private int pickOrForce(Sequence s, int row) {
    int forced = s.forcedToken();
    if (forced >= 0 && s.picker.allows(forced)) {
      s.picker.replay(context, row, scan, logits, forced);
      return forced;
    }
    if (forced >= 0) {
      LOG.debug("generation {}: its grammar does not allow the closing marker; the model thinks on", s.id());
      s.dropForced();
    }
    return s.picker.pick(context, row, scan, logits);
  }

  private String text(int token) {
    return new String(model.pieceBytes(token), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Runs an emission; a sink that throws ends its own generation, never the loop. */
  private boolean emitSafely(Sequence s, Runnable emission) {
    try {
      emission.run();
      return true;
    } catch (RuntimeException e) {
      LOG.warn("sink of generation {} failed; ending it", s.id(), e);
      end(s, FinishReason.ERROR, "sink failed: " + e.getMessage());
      return false;
    }
  }

  private void decodeFailed(int rc, boolean promptStep) {
    if (promptStep && prefillCap > 1) {
      // Most often the KV cache is too fragmented for a prompt chunk: compact it and retry smaller.
      LOG.debug("llama_decode returned {} on a step with prompt tokens; defragmenting and retrying", rc);
      rollBackStep();
      context.defragment();
      prefillCap = Math.max(1, prefillCap / 2);
      return;
    }
    LOG.error("llama_decode failed with code {}; ending the {} generations of that step", rc, batch.size());
    for (Sequence s : active.toArray(new Sequence[0])) {
      if (s.batchRow >= 0 || s.promptInStep > 0) {
        end(s, FinishReason.ERROR, "llama_decode failed with code " + rc);
      }
    }
    clearStepMarks();
  }

  /**
   * Undoes a step that did not complete, for every sequence in it, so that the next step can redo
   * it. llama.cpp splits a step into micro-batches (one per sequence, since each sequence has KV
   * cells of its own) and removes only the cells of the micro-batch that failed or was aborted: the
   * micro-batches before it stay in the cache, and redoing their tokens would be refused as
   * inconsistent positions, ending every generation of the step. So each sequence of the step loses
   * its cells from the position the step started at.
   */
  private void rollBackStep() {
    for (Sequence s : active) {
      if (s.batchRow >= 0 || s.promptInStep > 0) {
        context.removeTail(s.seqId, s.position);
      }
    }
    clearStepMarks();
  }

  private void clearStepMarks() {
    for (Sequence s : active) {
      s.batchRow = -1;
      s.promptInStep = 0;
      s.replayRows = 0;
      s.replayRow = -1;
    }
  }

  /**
   * Frees a sequence's sampler and slot, and its KV cells unless the prefix cache keeps them (not
   * after an error, nor for a request that opted out), then reports its end.
   */
  private void end(Sequence s, FinishReason reason, String error) {
    if (active.remove(s)) {
      // Cells past the last decoded token (from an aborted or failed step) are never cached.
      boolean keep = cache.enabled() && reason != FinishReason.ERROR && s.config().cachePrompt()
          && context.removeTail(s.seqId, cache.length(s.seqId));
      if (cache.release(s.seqId, keep)) {
        context.removeSequence(s.seqId);
      }
      s.picker.close();
      releaseSlot.run();
    }
    publishStats(0);
    try {
      s.finish(reason, error);
    } catch (RuntimeException e) {
      LOG.warn("sink of generation {} failed in end()", s.id(), e);
    }
  }

  private void endAll(FinishReason reason, String error) {
    for (Sequence s : active.toArray(new Sequence[0])) {
      end(s, reason, error);
    }
    Sequence s;
    while ((s = incoming.poll()) != null) {
      releaseSlot.run();
      s.finish(reason, error);
    }
    for (Pin pin : pins.values()) {
      if (pins.remove(pin.requestId(), pin)) {
        releaseSlot.run();
      }
    }
    Runnable task;
    while ((task = tasks.poll()) != null) {
      task.run(); // stopping is set: adoptions fail; a copy of a sequence ended above fails as not running
    }
  }

  private void awaitWork(long nanos) {
    if (signal.getAndSet(false) || nanos <= 0) {
      return;
    }
    LockSupport.parkNanos(this, nanos);
    signal.set(false);
  }

  private void publishStats(int stepTokens) {
    int prompt = 0;
    for (Sequence s : active) {
      if (!s.promptComplete()) {
        prompt++;
      }
    }
    int cached = (int) cache.cachedTokens();
    stats = new EngineStats(slots, active.size() + incoming.size() + pins.size()
        + adoptionsInTransfer.get(), prompt, lastRunning, lastPaused,
        Math.max(0, context.usedCells() - cached), cached, context.contextSize(), steps, tokensGenerated, stepTokens,
        cache.queries(), cache.hits());
  }
}
