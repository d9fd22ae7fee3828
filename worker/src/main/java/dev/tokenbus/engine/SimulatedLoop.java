package dev.tokenbus.engine;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.TopLogprob;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulated engine's scheduler, on its own thread: the {@link DecodeLoop}'s schedule without
 * the model. Each step takes one token of every generating sequence that may advance (its sink
 * has room and its {@code stream_delay_ms} pacing allows) and chunks of pending prompts up to the
 * batch size; the step lasts the simulated inter-token latency when it generates, plus its prompt
 * tokens at the simulated prefill rate. A sequence's next token is a function of every token it
 * holds (prompt, resumed and generated) and, when it samples, its seed: a stream resumed elsewhere
 * continues exactly as it would have here. Cancels and deadlines apply between steps; the
 * {@link PrefixCache} decides, as in the real engine, how much of a prompt is taken from an idle
 * slot instead of prefilled.
 */
final class SimulatedLoop implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(SimulatedLoop.class);
  private static final long MAX_IDLE_NANOS = 1_000_000_000L;
  /** The chosen token's log-probability; each alternative reported after it is one nat less likely. */
  private static final double LOGPROB = Math.log(0.5);

  /** A sequence with the hash of the tokens it holds, and where the scheduler keeps it. */
  private static final class Running {
    final Sequence s;
    long hash;
    boolean ended;
    /** In {@link #paced}: waiting out its {@code stream_delay_ms}. */
    boolean paced;

    Running(Sequence s) {
      this.s = s;
    }
  }

  private final SimulatedVocabulary vocabulary;
  private final int slots;
  private final int contextPerSequence;
  private final int batch;
  private final long itlNanos;
  private final double prefillNanosPerToken;
  private final Queue<Sequence> incoming;
  private final Runnable releaseSlot;
  private final PrefixCache cache;
  private final AtomicBoolean signal = new AtomicBoolean();
  /** Sequences whose cancel was asked for since the last step, from any thread. */
  private final Queue<Sequence> cancels = new ConcurrentLinkedQueue<>();

  // Decode-thread state. Every admitted sequence is in {@link #all}, and in one of {@link #prompts},
  // {@link #ready}, {@link #blocked} or {@link #paced}; ended ones leave the lists when next walked.
  private final Map<Sequence, Running> all = new IdentityHashMap<>();
  /** Sequences with prompt tokens still to prefill, in admission order. */
  private final List<Running> prompts = new ArrayList<>();
  /** Sequences that may take a token now, the longest waiting first. */
  private List<Running> ready = new ArrayList<>();
  private List<Running> readyNext = new ArrayList<>();
  /** Sequences whose sink was full: paused until it has room. */
  private List<Running> blocked = new ArrayList<>();
  private List<Running> blockedNext = new ArrayList<>();
  /** Sequences paced by {@code stream_delay_ms}, the soonest due first. */
  private final PriorityQueue<Running> paced =
      new PriorityQueue<>((a, b) -> Long.signum(a.s.notBeforeNanos - b.s.notBeforeNanos));
  /** Sequences with a timeout, the soonest deadline first. */
  private final PriorityQueue<Running> deadlines =
      new PriorityQueue<>((a, b) -> Long.signum(a.s.deadlineNanos - b.s.deadlineNanos));

  private volatile Thread thread;
  private volatile boolean stopping;
  private volatile EngineStats stats;
  private volatile Throwable failure;
  private long steps;
  private long tokensGenerated;
  private int lastRunning;
  private int lastPaused;
  private int promptRotation;
  /** Kept as sequences change, so that no step sums them again: the sum of the sequences' positions. */
  private long positions;

  SimulatedLoop(SimulatedVocabulary vocabulary, SimulatedEngine.Config config, Queue<Sequence> incoming,
      Runnable releaseSlot) {
    this.vocabulary = vocabulary;
    this.slots = config.slots();
    this.contextPerSequence = config.contextPerSequence();
    this.batch = config.batch();
    this.itlNanos = config.itlMs() * 1_000_000L;
    this.prefillNanosPerToken = 1e9 / config.prefillTokensPerSecond();
    this.incoming = incoming;
    this.releaseSlot = releaseSlot;
    this.cache = new PrefixCache(slots, contextPerSequence, config.prefixCache());
    publishStats(0);
  }

  EngineStats stats() {
    return stats;
  }

  Throwable failure() {
    return failure;
  }

  /** Wakes the loop: new work, or a sink with room again. Any thread. */
  void wake() {
    signal.set(true);
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  /** A sequence's cancel was asked for: it ends before the next step. Any thread. */
  void cancelled(Sequence s) {
    cancels.add(s);
    wake();
  }

  void stop() {
    stopping = true;
    wake();
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
      LOG.error("simulated decode loop failed; ending every generation", t);
      endAll(FinishReason.ERROR, "engine failure: " + t.getMessage());
    } finally {
      stopping = true;
      endAll(FinishReason.CANCELLED, "engine shut down");
    }
  }

  /**
   * One step. Its cost grows with the sequences it serves, not with those that only wait (a
   * benchmark runs thousands of paced streams on simulated workers that share a machine with the
   * gateway it measures): cancels arrive on a queue, deadlines and pacing are kept in time order,
   * and only the ready, the blocked and the prompting sequences are walked.
   */
  private void step() {
    admit();
    long now = System.nanoTime();
    for (Sequence c; (c = cancels.poll()) != null; ) {
      Running r = all.get(c);
      if (r != null) {
        end(r, FinishReason.CANCELLED, null);
      }
    }
    for (Running r; (r = deadlines.peek()) != null && now - r.s.deadlineNanos >= 0; ) {
      Sequence s = r.s;
      emitSafely(r, () -> s.emitEnd(FinishReason.TIMEOUT));
      end(r, FinishReason.TIMEOUT, null);
    }
    for (Running r; (r = paced.peek()) != null && now - r.s.notBeforeNanos >= 0; ) {
      paced.poll();
      r.paced = false;
      ready.add(r);
    }
    for (Running r : blocked) {
      if (!r.ended) {
        (r.s.sink().writeQueueFull() ? blockedNext : ready).add(r);
      }
    }
    blocked.clear();
    int room = batch;
    List<Running> generating = new ArrayList<>(Math.min(batch, ready.size()));
    for (Running r : ready) {
      Sequence s = r.s;
      if (r.ended) {
        continue;
      }
      if (s.sink().writeQueueFull()) {
        setState(s, GenerationState.PAUSED);
        blockedNext.add(r);
      } else if (room > 0) {
        setState(s, GenerationState.GENERATING);
        generating.add(r);
        room--;
      } else {
        readyNext.add(r); // no room in this step's batch: first in the next
      }
    }
    ready.clear();
    List<Running> swap = ready;
    ready = readyNext;
    readyNext = swap;
    swap = blocked;
    blocked = blockedNext;
    blockedNext = swap;
    // Prompts fill the rest of the batch, a chunk each, starting with a different one every step.
    int promptTokens = 0;
    List<Running> prefilling = List.of();
    int n = prompts.size();
    for (int k = 0; k < n && room > 0; k++) {
      Running r = prompts.get((promptRotation + k) % n);
      Sequence s = r.s;
      s.promptInStep = s.prefillTake(room);
      room -= s.promptInStep;
      promptTokens += s.promptInStep;
      if (prefilling.isEmpty()) {
        prefilling = new ArrayList<>();
      }
      prefilling.add(r);
    }
    promptRotation = n == 0 ? 0 : (promptRotation + 1) % n;
    lastRunning = generating.size();
    lastPaused = blocked.size();
    if (generating.isEmpty() && promptTokens == 0) {
      publishStats(0);
      long wakeAt = now + MAX_IDLE_NANOS;
      if (!paced.isEmpty()) {
        wakeAt = earlier(wakeAt, paced.peek().s.notBeforeNanos);
      }
      if (!deadlines.isEmpty()) {
        wakeAt = earlier(wakeAt, deadlines.peek().s.deadlineNanos);
      }
      awaitWork(wakeAt - System.nanoTime());
      return;
    }
    publishStats(generating.size() + promptTokens);
    long duration = (generating.isEmpty() ? 0 : itlNanos) + Math.round(promptTokens * prefillNanosPerToken);
    long end = now + duration;
    for (long rest = duration; rest > 0; rest = end - System.nanoTime()) {
      LockSupport.parkNanos(this, rest); // a cancel waits for the step's end, as in a real decode step
    }
    steps++;
    advance(prefilling, generating);
    publishStats(0);
  }

  private static long earlier(long a, long b) {
    return a - b <= 0 ? a : b;
  }

  /** Sets a sequence's state only when it changes: it is read by other threads, and most steps change nothing. */
  private static void setState(Sequence s, GenerationState state) {
    if (s.state() != state) {
      s.state(state);
    }
  }

  private void admit() {
    Sequence s;
    while ((s = incoming.poll()) != null) {
      if (s.cancelRequested()) {
        s.finish(FinishReason.CANCELLED, null);
        releaseSlot.run();
        continue;
      }
      int[] prompt = s.prompt();
      PrefixCache.Lease lease = cache.acquire(prompt, prompt.length - 1, s.config().cachePrompt());
      int reused = lease.reused();
      s.seqId = lease.slot();
      s.promptDone = reused;
      s.position = reused;
      s.reusedTokens = reused;
      s.cachedTokens = Math.min(reused, s.promptTokens());
      s.state(GenerationState.PROMPT);
      positions += reused;
      Running r = new Running(s);
      r.hash = hashOf(prompt, s.config().temperature() > 0 && s.config().topK() != 1 ? s.seed() : 0);
      all.put(s, r);
      if (s.config().hasTimeout()) {
        deadlines.add(r);
      }
      prompts.add(r); // the cache gives at most all but the last prompt token: one is always left to decode
    }
  }

  private void advance(List<Running> prefilling, List<Running> generating) {
    boolean prefilled = false;
    for (Running r : prefilling) {
      Sequence s = r.s;
      if (r.ended || s.promptInStep == 0) {
        continue;
      }
      cache.decoded(s.seqId, s.prompt(), s.promptDone, s.promptInStep);
      s.promptDone += s.promptInStep;
      s.position += s.promptInStep;
      positions += s.promptInStep;
      s.promptInStep = 0;
      if (s.promptComplete()) {
        prefilled = true;
        s.state(GenerationState.GENERATING);
        sample(r);
      }
    }
    if (prefilled) {
      prompts.removeIf(r -> r.s.promptComplete());
    }
    for (Running r : generating) {
      Sequence s = r.s;
      if (!r.ended) {
        cache.decoded(s.seqId, s.position, s.lastToken);
        s.position++;
        positions++;
        sample(r);
      }
    }
  }

  private void sample(Running r) {
    Sequence s = r.s;
    int token = SimulatedVocabulary.word(Math.floorMod(mix(r.hash), SimulatedVocabulary.WORDS));
    int topN = s.config().topLogprobs();
    List<TopLogprob> top = new ArrayList<>(topN);
    for (int i = 0; i < topN; i++) {
      int alt = SimulatedVocabulary.word(Math.floorMod(token - SimulatedVocabulary.FIRST_WORD + i,
          SimulatedVocabulary.WORDS));
      top.add(new TopLogprob(alt, new String(vocabulary.piece(alt), StandardCharsets.UTF_8), LOGPROB - i));
    }
    boolean contextFull = s.position >= contextPerSequence;
    tokensGenerated++;
    FinishReason[] reason = new FinishReason[1];
    if (!emitSafely(r, () -> reason[0] = s.onToken(token, vocabulary.piece(token), false, LOGPROB, top,
        contextFull))) {
      return;
    }
    if (reason[0] != null) {
      end(r, reason[0], null);
    } else {
      s.lastToken = token;
      r.hash = next(r.hash, token);
      long delay = s.config().streamDelayMs();
      if (delay > 0) {
        s.notBeforeNanos = System.nanoTime() + delay * 1_000_000L;
        s.state(GenerationState.PAUSED); // stream_delay_ms pacing
        r.paced = true;
        paced.add(r);
      } else {
        ready.add(r);
      }
    }
  }

  /** Runs an emission; a sink that throws ends its own generation, never the loop. */
  private boolean emitSafely(Running r, Runnable emission) {
    try {
      emission.run();
      return true;
    } catch (RuntimeException e) {
      LOG.warn("sink of generation {} failed; ending it", r.s.id(), e);
      end(r, FinishReason.ERROR, "sink failed: " + e.getMessage());
      return false;
    }
  }

  private void end(Running r, FinishReason reason, String error) {
    Sequence s = r.s;
    if (!r.ended && all.remove(s) != null) {
      r.ended = true;
      positions -= s.position;
      if (!s.promptComplete()) {
        prompts.remove(r);
      }
      if (r.paced) {
        paced.remove(r);
      }
      if (s.config().hasTimeout()) {
        deadlines.remove(r);
      }
      boolean keep = cache.enabled() && reason != FinishReason.ERROR && s.config().cachePrompt();
      cache.release(s.seqId, keep);
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
    for (Running r : all.values().toArray(new Running[0])) {
      end(r, reason, error);
    }
    Sequence s;
    while ((s = incoming.poll()) != null) {
      releaseSlot.run();
      s.finish(reason, error);
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
    stats = new EngineStats(slots, all.size() + incoming.size(), prompts.size(), lastRunning, lastPaused,
        (int) positions, (int) cache.cachedTokens(), slots * contextPerSequence, steps, tokensGenerated, stepTokens,
        cache.queries(), cache.hits());
  }

  /** The hash of {@code tokens} after {@code seed}: what the next token is drawn from. */
  static long hashOf(int[] tokens, long seed) {
    long h = mix(seed ^ 0x6a09e667f3bcc908L);
    for (int t : tokens) {
      h = next(h, t);
    }
    return h;
  }

  private static long next(long hash, int token) {
    return mix(hash + token + 0x9e3779b97f4a7c15L);
  }

  /** A 64-bit finaliser (SplitMix64's). */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
