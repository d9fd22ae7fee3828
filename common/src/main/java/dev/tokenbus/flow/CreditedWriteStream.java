package dev.tokenbus.flow;

import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.EndFrame;
import dev.tokenbus.protocol.frame.ErrorFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.HeartbeatFrame;
import dev.tokenbus.protocol.frame.TokensFrame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.streams.WriteStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worker's side of one generation: a {@link WriteStream} of tokens towards a gateway endpoint,
 * spending one credit per token. The gateway's {@link TokenStream} grants credits as its consumer
 * takes tokens; {@link #addCredits} applies them.
 *
 * <p><b>Writing.</b> {@link #write}, {@link #finish} and {@link #fail} may be called from any
 * thread (the engine's decode thread): they queue and schedule one flush on the context, which
 * sends everything queued as one TOKENS frame, so tokens coalesce when the event loop is behind.
 * Frames leave in the order of the calls. {@link #writeQueueFull()} is true while no credit is
 * left; writes past that are still accepted and sent (the engine checks before each step, so it
 * overshoots by at most one token; the gateway tolerates two), never dropped or blocked.
 *
 * <p><b>Ending.</b> {@link #finish} sends END after the queued tokens, {@link #fail} sends ERROR;
 * the first of them wins and nothing is sent after it. {@link #end()} (what a Pipe calls) has no
 * result to report, so it ends the stream with ERROR {@code protocol_error}: a gateway must not
 * mistake a producer that lost track of its generation for a complete one. Call {@code finish}.
 *
 * <p><b>Failure.</b> Frames go through a {@link FrameBatcher} (with the frames of the context's
 * other streams to the same endpoint), whose send fails with {@code ReplyException(NO_HANDLERS)}
 * once the gateway endpoint is gone. The first such failure
 * goes to the {@link #exceptionHandler} (once) and the stream stops sending. A gateway that hangs
 * without leaving shows up as {@link #creditsStalledSinceNanos()} growing; the worker decides when
 * that is too long.
 *
 * <p>{@link #setWriteQueueMaxSize} does nothing: the window is the consumer's to grant.
 */
public final class CreditedWriteStream implements WriteStream<TokenData> {

  private static final Future<Void> WRITTEN = Future.succeededFuture();

  private final Context context;
  private final String streamId;
  private final FrameBatcher sender;
  // TokenData, or the terminal Frame (END/ERROR) as the last element.
  private final Queue<Object> queued = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final AtomicBoolean terminalQueued = new AtomicBoolean();
  private final Promise<Void> terminalSent = Promise.promise();
  private final AtomicInteger credits;
  private final AtomicLong creditsOutSince = new AtomicLong();
  private final AtomicInteger tokensWritten = new AtomicInteger();
  private final AtomicInteger framesSent = new AtomicInteger();

  private final long coalesceMs;
  private final long coalesceNanos;
  private long lastTokensNanos;
  private volatile int engineGenerated;
  private volatile long lastSendNanos;
  /** The engine state the last stream heartbeat reported; null before any. Context only. */
  private String reportedState;
  private volatile Handler<Void> drainHandler;
  private volatile Handler<Throwable> exceptionHandler;
  private volatile Throwable sendFailure;
  private boolean closed; // on the context: the terminal frame went out, or a send failed

  /**
   * @param context where frames are sent from and handlers run (the worker verticle's)
   * @param target the gateway endpoint address (OPEN's {@code replyTo})
   * @param window the tokens that may be sent before the first CREDIT (OPEN's window)
   */
  public CreditedWriteStream(Context context, EventBus bus, String target, String streamId, int window) {
    this(context, bus, target, streamId, window, 0);
  }

  /** A stream with a batcher of its own (see the next constructor for {@code coalesceMs}). */
  public CreditedWriteStream(Context context, EventBus bus, String target, String streamId, int window,
      long coalesceMs) {
    this(context, new FrameBatcher(context, bus, target), streamId, window, coalesceMs);
  }

  /**
   * @param out the batcher towards the gateway endpoint (OPEN's {@code replyTo}), shared by the
   *     streams of {@code context} that go there, so that one decode step's tokens leave together
   * @param coalesceMs tokens written less than this long after the previous TOKENS frame wait for
   *     the rest of it and leave together in the next frame: at thousands of tokens per second this
   *     cuts messages, wake-ups and syscalls several-fold for at most that much added latency; a
   *     model slower than one token per {@code coalesceMs} is not delayed at all. 0 sends at once.
   */
  public CreditedWriteStream(Context context, FrameBatcher out, String streamId, int window, long coalesceMs) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1, got " + window);
    }
    this.context = Objects.requireNonNull(context, "context");
    this.streamId = streamId;
    this.credits = new AtomicInteger(window);
    this.sender = Objects.requireNonNull(out, "out");
    this.lastSendNanos = System.nanoTime();
    this.coalesceNanos = coalesceMs * 1_000_000L;
    this.coalesceMs = coalesceMs;
  }

  // ---- any thread ------------------------------------------------------------------------------

  /**
   * Queues a token and spends a credit; never blocks. Returns a succeeded future (no per-token
   * promise), or a failed one once the stream was finished or its gateway is unreachable.
   */
  @Override
  public Future<Void> write(TokenData token) {
    Objects.requireNonNull(token, "token");
    if (terminalQueued.get()) {
      return Future.failedFuture(new IllegalStateException("stream " + streamId + " is already finished"));
    }
    Throwable failed = sendFailure;
    if (failed != null) {
      return Future.failedFuture(failed);
    }
    if (token.tokenId() >= 0) {
      tokensWritten.incrementAndGet();
    }
    if (credits.decrementAndGet() == 0) {
      creditsOutSince.set(System.nanoTime());
    }
    queued.add(token);
    scheduleFlush();
    return WRITTEN;
  }

  /** Sends the queued tokens, then END with {@code result}. Completes when END was handed to the bus. */
  public Future<Void> finish(GenerationResult result) {
    return terminate(new EndFrame(streamId, result));
  }

  /** Sends the queued tokens, then ERROR. Completes when ERROR was handed to the bus. */
  public Future<Void> fail(StreamErrorType type, String message) {
    return terminate(new ErrorFrame(streamId, type, message));
  }

  /**
   * Sends the queued tokens, then ERROR {@code worker_shutdown} naming the worker that adopted the
   * stream's KV state, where the gateway moves it. Completes when ERROR was handed to the bus.
   */
  public Future<Void> handedOff(String message, String moveTo) {
    return terminate(new ErrorFrame(streamId, StreamErrorType.WORKER_SHUTDOWN, message, moveTo));
  }

  /** Ends without a result: sends ERROR {@code protocol_error} unless finish or fail came first (see class doc). */
  @Override
  public Future<Void> end() {
    return fail(StreamErrorType.PROTOCOL_ERROR, "the producer ended the stream without a result");
  }

  @Override
  public boolean writeQueueFull() {
    return credits.get() <= 0;
  }

  /** The engine's own count of sampled tokens, reported as TOKENS' {@code generated} if above the tokens written. */
  public void setGenerated(int generated) {
    engineGenerated = generated;
  }

  public int generated() {
    return Math.max(tokensWritten.get(), engineGenerated);
  }

  public int credits() {
    return credits.get();
  }

  public int framesSent() {
    return framesSent.get();
  }

  public String streamId() {
    return streamId;
  }

  public String target() {
    return sender.address();
  }

  /** {@link System#nanoTime()} of the last frame sent (or of creation). */
  public long lastSendNanos() {
    return lastSendNanos;
  }

  /**
   * 0 while credits remain, else the {@link System#nanoTime()} since when none did (or of the
   * latest CREDIT that still left none), for the worker's credit-stall timeout.
   */
  public long creditsStalledSinceNanos() {
    if (credits.get() > 0) {
      return 0;
    }
    // A CREDIT racing with the write that spent the last credit may have cleared the mark: set it now.
    creditsOutSince.compareAndSet(0, System.nanoTime());
    return creditsOutSince.get();
  }

  @Override
  public CreditedWriteStream drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
    return this;
  }

  @Override
  public CreditedWriteStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  /** No-op: how many tokens may be in flight is the consumer's window, granted through credits. */
  @Override
  public CreditedWriteStream setWriteQueueMaxSize(int maxSize) {
    return this;
  }

  // ---- on the context --------------------------------------------------------------------------

  /** Applies a CREDIT; runs the drain handler when credits go from none to some. Call on the context. */
  public void addCredits(int n) {
    if (n <= 0 || closed) {
      return;
    }
    int after = credits.addAndGet(n);
    // Even a CREDIT that leaves none shows the gateway is alive, so the stall clock restarts.
    creditsOutSince.set(after > 0 ? 0 : System.nanoTime());
    Handler<Void> h = drainHandler;
    if (after > 0 && after - n <= 0 && h != null) {
      h.handle(null);
    }
  }

  /**
   * Sends a stream HEARTBEAT if nothing was sent for {@code idleNanos}, the stream is still open,
   * and its engine state differs from the one its last heartbeat reported (its liveness is the
   * worker heartbeat's business: see {@link HeartbeatFrame}). Call on the context (the worker's
   * sweep timer).
   *
   * @param state the engine's state for the stream, e.g. {@code PROMPT} or {@code PAUSED}
   * @return whether one was sent
   */
  public boolean heartbeatIfIdle(long idleNanos, String state) {
    if (closed || terminalQueued.get() || !queued.isEmpty() || System.nanoTime() - lastSendNanos < idleNanos
        || state.equals(reportedState)) {
      return false;
    }
    reportedState = state;
    send(new HeartbeatFrame(streamId, generated(), state));
    return true;
  }

  private Future<Void> terminate(Frame terminal) {
    if (terminalQueued.compareAndSet(false, true)) {
      queued.add(terminal);
      scheduleFlush();
    }
    return terminalSent.future();
  }

  private void scheduleFlush() {
    if (flushScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> flush());
    }
  }

  private void flush() {
    if (coalesceNanos > 0 && !terminalQueued.get() && System.nanoTime() - lastTokensNanos < coalesceNanos) {
      // Too soon after the last frame: stay scheduled (so writers do not wake the loop again) and
      // send what has gathered when the interval is up.
      context.owner().setTimer(coalesceMs, id -> {
        lastTokensNanos = 0;
        flush();
      });
      return;
    }
    flushScheduled.set(false); // before draining: a write that lands after the drain schedules the next flush
    List<TokenData> tokens = null;
    Object item;
    while ((item = queued.poll()) != null) {
      if (item instanceof TokenData token) {
        if (tokens == null) {
          tokens = new ArrayList<>();
        }
        tokens.add(token);
      } else {
        sendTokens(tokens);
        tokens = null;
        sendTerminal((Frame) item);
      }
    }
    sendTokens(tokens);
  }

  private void sendTokens(List<TokenData> tokens) {
    if (tokens != null && !closed) {
      lastTokensNanos = System.nanoTime();
      dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.FRAME_SENT);
      send(new TokensFrame(streamId, generated(), tokens));
    }
  }

  private void sendTerminal(Frame terminal) {
    if (closed) {
      Throwable failed = sendFailure;
      terminalSent.tryFail(failed != null ? failed : new IllegalStateException("stream " + streamId + " is closed"));
      return;
    }
    closed = true;
    send(terminal).onComplete(terminalSent);
  }

  private Future<Void> send(Frame frame) {
    lastSendNanos = System.nanoTime();
    framesSent.incrementAndGet();
    Future<Void> written = sender.send(frame);
    written.onFailure(this::sendFailed);
    return written;
  }

  private void sendFailed(Throwable cause) {
    if (sendFailure != null) {
      return;
    }
    sendFailure = cause;
    closed = true;
    Handler<Throwable> h = exceptionHandler;
    if (h != null) {
      h.handle(cause);
    }
  }
}
