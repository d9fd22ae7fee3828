package dev.tokenbus.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayDeque;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.Flow;

/**
 * One generation's tokens, in order, ending with a final token ({@link TokenData#isFinal()}) or with
 * one {@link TokenbusException}: never silently. Read it in one of three ways, one per stream:
 *
 * <ul>
 *   <li><b>Blocking</b>, from any thread but an event loop: {@link #next()} waits for the next
 *       token, {@link #tryNext()} takes one only if it is there; a failed stream throws its error
 *       once the tokens before it are read. {@link #isFinished()} says whether anything is left.
 *   <li><b>Vert.x</b>: a {@link ReadStream}; {@link #handler}, {@link #pause()}, {@link #resume()} and
 *       {@link #fetch(long)} as usual, handlers called on the context the stream was created on (a
 *       new event-loop context when created outside Vert.x); {@code pipeTo} works. The error goes to
 *       the {@link #exceptionHandler}; the {@link #endHandler} runs after the final token.
 *   <li><b>Reactive Streams</b>: {@link #publisher()}, a {@link Flow.Publisher} for Reactor, Mutiny,
 *       RxJava and the like, with their request(n) backpressure.
 * </ul>
 *
 * <p><b>Backpressure reaches the worker.</b> The stream holds at most {@link StreamConfig#bufferSize()}
 * tokens that arrived and were not taken yet; it tells the transport to take more as the consumer
 * takes tokens (half a window at a time). Over a WebSocket that is the generation's own credit,
 * so a stream that is not read stops its generation and only its own; over SSE the connection
 * stops being read and TCP's flow control stops the gateway. Either way the gateway stops granting
 * the worker credit and the worker leaves the sequence out of its batches, keeping its place.
 *
 * <p>A stream that is not read keeps its worker's slot until its timeout: {@link #cancel()} one you
 * no longer want.
 */
public final class TokenStream implements ReadStream<TokenData> {

  /**
   * A stream's connection to its gateway: what the stream asks of its transport. Methods are called on any
   * thread.
   */
  interface Leg {
    /** The consumer took {@code n} tokens: the transport may receive {@code n} more. */
    void grant(int n);

    /** Stop the generation on the server and release the connection's resources. */
    void cancel();
  }

  private enum Mode { NONE, BLOCKING, HANDLERS }

  /** Past its timeout, how long a stream waits for the server to end it before ending it itself. */
  static final long TIMEOUT_GRACE_MS = 2000;

  private final Context context;
  private final StreamConfig config;
  private final int window;
  private final int grantBatch;
  private final Promise<StreamSummary> result = Promise.promise();
  private final TokenPublisher publisher = new TokenPublisher(this);

  // Guarded by this.
  private final ArrayDeque<TokenData> buffer = new ArrayDeque<>();
  private int received;
  private boolean finalArrived;
  /** The final token, held back until {@link #result} is complete: then it joins the buffer. */
  private TokenData pendingFinal;
  /** The server's side is over (done, error, cancel or timeout) and {@link #result} is complete. */
  private boolean ended;
  /** The error that ends the stream, handed to the consumer after the tokens before it. */
  private TokenbusException failure;
  /** The consumer has the final token or the error: nothing more comes. */
  private boolean over;
  private boolean cancelled;
  private int ungranted;
  private Leg leg;
  private Mode mode = Mode.NONE;
  private long demand = Long.MAX_VALUE;
  private Handler<TokenData> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private boolean deliveryScheduled;
  private boolean delivering;
  private long timeoutTimer = -1;

  TokenStream(Context context, StreamConfig config) {
    this.context = context;
    this.config = config;
    this.window = config.bufferSize();
    this.grantBatch = Math.max(1, window / 2);
    if (config.hasTimeout()) {
      timeoutTimer = context.owner().setTimer(config.timeoutMs() + TIMEOUT_GRACE_MS, id -> timedOut());
    }
  }

  // ---- the consumer's side: blocking ----

  /**
   * The next token, waiting for it. The final token is the last: after it this throws
   * {@link NoSuchElementException}. A stream that failed throws its {@link TokenbusException}
   * (again on every later call) once the tokens that came before the error are read.
   *
   * @throws IllegalStateException on an event-loop thread, where waiting would stall every stream
   *     of that loop, or when the stream is read with handlers
   * @throws InterruptedException when the waiting thread is interrupted (the stream goes on)
   */
  public synchronized TokenData next() throws InterruptedException {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("next() blocks; on an event loop use handler()/fetch() or tryNext()");
    }
    claim(Mode.BLOCKING);
    while (buffer.isEmpty() && failure == null && !over) {
      wait();
    }
    return take();
  }

  /**
   * The next token if one has arrived, without waiting; empty if none is there yet. Throws as
   * {@link #next()} does once the stream is over.
   */
  public synchronized Optional<TokenData> tryNext() {
    claim(Mode.BLOCKING);
    if (buffer.isEmpty() && failure == null && !over) {
      return Optional.empty();
    }
    return Optional.of(take());
  }

  /** True once the final token or the error has been handed to the consumer: nothing more will come. */
  public synchronized boolean isFinished() {
    return over;
  }

  /** Tokens that have arrived from the server so far (taken by the consumer or still buffered). */
  public synchronized int tokensGenerated() {
    return received;
  }

  /** The configuration this stream was started with. */
  public StreamConfig config() {
    return config;
  }

  /**
   * Stops the generation: the server cancels it (its worker frees the slot at once) and this stream
   * drops what it buffered and ends with a {@link CancelledException}. Nothing happens to a stream
   * whose consumer already has its final token or error.
   */
  public void cancel() {
    Leg l;
    CancelledException e = Errors.cancelled("cancelled by the client");
    synchronized (this) {
      if (over || cancelled) {
        return;
      }
      cancelled = true;
      buffer.clear();
      pendingFinal = null;
      if (ended) {
        // The server's side is over already (result() is complete): only the consumer's side ends here.
        if (failure == null) {
          failure = e;
        }
        notifyAll();
        scheduleDelivery();
        return;
      }
      l = leg;
    }
    end(null, e);
    if (l != null) {
      l.cancel();
    }
  }

  /**
   * The server's summary (finish reason, token counts, seed), once its {@code done} event arrives;
   * failed with the stream's error. It is complete before the consumer sees the end: by the time
   * the final token is read (so {@link #isFinished()} is true) or the stream's exception is
   * thrown, {@code result().result()} (or {@code cause()}) is set. Completes on the stream's context.
   */
  public Future<StreamSummary> result() {
    return result.future();
  }

  /**
   * This stream as a Reactive Streams publisher, for one subscriber (a second one gets
   * {@code onError}). It follows the specification's rules: nothing is sent beyond
   * {@code request(n)}, a non-positive request cancels with {@code onError(IllegalArgumentException)},
   * {@code cancel()} cancels the generation, and after {@code onComplete} (which follows the final
   * token) or {@code onError} (once, with the typed error) nothing is signalled. Signals come
   * serially from the stream's context.
   */
  public Flow.Publisher<TokenData> publisher() {
    return publisher;
  }

  // ---- the consumer's side: ReadStream ----

  @Override
  public TokenStream handler(Handler<TokenData> h) {
    synchronized (this) {
      if (h != null) {
        claim(Mode.HANDLERS);
      }
      handler = h;
      scheduleDelivery();
    }
    return this;
  }

  @Override
  public synchronized TokenStream exceptionHandler(Handler<Throwable> h) {
    exceptionHandler = h;
    if (h != null) {
      claim(Mode.HANDLERS);
      scheduleDelivery();
    }
    return this;
  }

  @Override
  public synchronized TokenStream endHandler(Handler<Void> h) {
    endHandler = h;
    return this;
  }

  @Override
  public synchronized TokenStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public synchronized TokenStream resume() {
    demand = Long.MAX_VALUE;
    scheduleDelivery();
    return this;
  }

  @Override
  public synchronized TokenStream fetch(long amount) {
    if (amount > 0) {
      demand = demand > Long.MAX_VALUE - amount ? Long.MAX_VALUE : demand + amount;
      scheduleDelivery();
    }
    return this;
  }

  /** The context this stream's handlers run on. */
  Context context() {
    return context;
  }

  // ---- the transport's side ----

  /** Connects the stream to its transport; a stream cancelled meanwhile cancels it at once. */
  void attach(Leg l) {
    boolean cancelNow;
    synchronized (this) {
      leg = l;
      cancelNow = cancelled;
    }
    if (cancelNow) {
      l.cancel();
    }
  }

  /** The tokens the transport may receive before the consumer takes any: the window. */
  int window() {
    return window;
  }

  /** A token from the server; the transport has checked it is the next index. */
  void onToken(TokenData t) {
    synchronized (this) {
      if (ended || cancelled || over) {
        return; // cancelled, or failed: late tokens are dropped
      }
      if (finalArrived || t.index() != received) {
        pendingFinal = null; // the consumer gets the error, not an end that looks whole
        end(null, Errors.protocol("token " + t.index() + " arrived where " + (finalArrived ? "nothing more"
            : "token " + received) + " was due", null));
        return;
      }
      received++;
      if (t.isFinal()) {
        finalArrived = true;
        pendingFinal = t; // handed out with the summary, by end()
        return;
      }
      buffer.add(t);
      notifyAll();
      scheduleDelivery();
    }
  }

  /** The server's {@code done}: the summary after the final token. */
  void onDone(StreamSummary summary) {
    boolean whole;
    synchronized (this) {
      whole = finalArrived;
    }
    end(whole ? summary : null, whole ? null : Errors.protocol("the stream ended without its final token", null));
  }

  /**
   * Ends the stream with {@code e}, after the tokens already here (unless it ended already). When the
   * final token is here, every token is: the consumer reads them all, and only {@link #result()} fails.
   */
  void fail(TokenbusException e) {
    end(null, e);
  }

  /** True while the transport should keep the stream going (not cancelled, failed or complete). */
  synchronized boolean isOpen() {
    return !ended && !cancelled && !finalArrived && failure == null;
  }

  /** The index of the last token that arrived, -1 before the first. */
  synchronized int lastIndex() {
    return received - 1;
  }

  // ---- inside ----

  /**
   * The server's side is over: completes {@link #result} with {@code summary} (or fails it with
   * {@code error}), and only then lets the consumer see the end: the held-back final token, or the
   * error after the tokens before it. On the stream's context; the first end counts.
   */
  private void end(StreamSummary summary, TokenbusException error) {
    Runnable ending = () -> {
      synchronized (this) {
        if (ended) {
          return;
        }
        ended = true;
        cancelTimer();
      }
      if (error != null) {
        result.tryFail(error);
      } else {
        result.tryComplete(summary);
      }
      synchronized (this) {
        if (pendingFinal != null) {
          buffer.add(pendingFinal);
          pendingFinal = null;
        } else if (failure == null) {
          // error is null only when the done of a stream cancelled meanwhile came first
          failure = error != null ? error : Errors.cancelled("cancelled by the client");
        }
        notifyAll();
        scheduleDelivery();
      }
    };
    if (Vertx.currentContext() == context) {
      ending.run();
    } else {
      context.runOnContext(v -> ending.run());
    }
  }

  private void cancelTimer() {
    if (timeoutTimer >= 0) {
      context.owner().cancelTimer(timeoutTimer);
      timeoutTimer = -1;
    }
  }

  private void timedOut() {
    Leg l;
    synchronized (this) {
      timeoutTimer = -1;
      if (ended || over) {
        return;
      }
      l = leg;
    }
    end(null, new StreamTimeoutException("the stream did not end within its timeoutMs (" + config.timeoutMs()
        + " ms) and the server did not end it", "timeout", null, null, 0, null));
    if (l != null) {
      l.cancel();
    }
  }

  private void claim(Mode m) {
    if (mode == Mode.NONE) {
      mode = m;
    } else if (mode != m) {
      throw new IllegalStateException(mode == Mode.BLOCKING ? "this stream is read with next(); it cannot also"
          + " have handlers" : "this stream is read with handlers (or a subscriber); next() cannot read it too");
    }
  }

  /** Hands out the next buffered token, or the error, or says the stream is over. Holds the lock. */
  private TokenData take() {
    TokenData t = buffer.poll();
    if (t != null) {
      taken(t);
      return t;
    }
    if (failure != null) {
      over = true;
      throw failure;
    }
    throw new NoSuchElementException("the stream has ended: its final token was read");
  }

  /**
   * Counts a token the consumer took, returning credit half a window at a time; none once the final
   * token arrived (the server sends nothing more) or the stream was cancelled. Holds the lock.
   */
  private void taken(TokenData t) {
    if (t.isFinal()) {
      over = true;
      return;
    }
    if (++ungranted >= grantBatch && leg != null && !cancelled && !finalArrived && !ended) {
      int n = ungranted;
      ungranted = 0;
      leg.grant(n);
    }
  }

  private void scheduleDelivery() {
    if (mode == Mode.HANDLERS && !deliveryScheduled) {
      deliveryScheduled = true;
      context.runOnContext(v -> deliver());
    }
  }

  /**
   * Hands buffered tokens to the handler while there is demand, then the end or the error. On the context.
   */
  private void deliver() {
    synchronized (this) {
      deliveryScheduled = false;
      if (delivering) {
        return; // the running loop sees what changed
      }
      delivering = true;
    }
    try {
      while (true) {
        TokenData t = null;
        Handler<TokenData> h = null;
        Handler<Void> end = null;
        Handler<Throwable> onError = null;
        TokenbusException error = null;
        synchronized (this) {
          if (over) {
            return;
          }
          if (!buffer.isEmpty()) {
            if (handler == null || demand == 0) {
              return;
            }
            t = buffer.poll();
            if (demand != Long.MAX_VALUE) {
              demand--;
            }
            taken(t);
            h = handler;
            end = t.isFinal() ? endHandler : null;
          } else if (failure != null && (handler != null || exceptionHandler != null)) {
            over = true;
            error = failure;
            onError = exceptionHandler;
          } else {
            return;
          }
        }
        if (t != null) {
          h.handle(t);
          if (end != null) {
            end.handle(null);
          }
        } else {
          if (onError != null) {
            onError.handle(error);
          }
          return;
        }
      }
    } finally {
      synchronized (this) {
        delivering = false;
      }
    }
  }
}
