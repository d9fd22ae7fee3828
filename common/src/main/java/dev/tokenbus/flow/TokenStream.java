package dev.tokenbus.flow;

import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.frame.EndFrame;
import dev.tokenbus.protocol.frame.ErrorFrame;
import dev.tokenbus.protocol.frame.HeartbeatFrame;
import dev.tokenbus.protocol.frame.TokensFrame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * The gateway's side of one generation: the tokens a worker streams, as a {@link ReadStream} with
 * credit-based flow control over the event bus.
 *
 * <p><b>Credits.</b> The worker may have {@code window} tokens outstanding. Credits go back as the
 * consumer <em>takes</em> tokens (they reach the handler), in batches of {@code max(1, window/2)},
 * not when they arrive. A paused consumer (a {@code pipeTo} whose destination is full, a client that
 * stopped reading) therefore grants nothing and the worker stops; the tokens buffered here never
 * exceed the window. A TOKENS frame that would leave more than {@code window + 2} undelivered
 * tokens (the worker may overshoot by one) is a protocol violation: the stream fails with
 * {@code protocol_error} and the worker is sent CANCEL.
 *
 * <p><b>ReadStream semantics</b>, as in Vert.x: it starts flowing; {@link #pause()} sets the demand
 * to 0, {@link #fetch(long)} adds to it, {@link #resume()} makes it unbounded. Deliveries that
 * {@code handler}, {@code fetch} or {@code resume} make possible happen later on the context, never
 * inside the call, so a {@link io.vertx.core.streams.Pipe} can set itself up safely. Two choices
 * differ from some Vert.x streams, on purpose: nothing is delivered (and nothing dropped) while no
 * handler is set, since tokens can arrive before the gateway attaches its consumer; and the end is
 * delivered only with demand, after the last token, like a paused stream's data.
 *
 * <p><b>Ending.</b> Exactly one of: {@code endHandler} (after END and the last token; {@link #result()}
 * completes just before it), or {@code exceptionHandler} with a {@link TokenStreamException}
 * (the worker's ERROR, {@link #cancel}, {@link #fail}; {@code result()} fails with the same
 * exception and undelivered tokens are dropped). An exception handler set after the failure is
 * still told, once, so a late {@code pipeTo} does not hang.
 *
 * <p><b>Threading.</b> Use it on its context only: the gateway's endpoint consumer calls the
 * {@code on...} methods there, and handlers run there. {@link #streamId}, {@link #tokensGenerated},
 * {@link #tokensDelivered}, {@link #lastActivityNanos} and the worker getters may also be read
 * from other threads (status pages, metrics).
 */
public final class TokenStream implements ReadStream<TokenData> {

  /** What the consumer sees now. */
  public enum State {
    /** Tokens flow to the handler as they come. */
    OPEN,
    /** The demand is 0: nothing is delivered and no credit is granted. */
    PAUSED,
    /** The end was delivered. */
    ENDED,
    /** Ended with an exception (ERROR, cancel, local failure). */
    FAILED
  }

  private final Context context;
  private final String streamId;
  private final int window;
  private final IntConsumer creditSender;
  private final Consumer<String> cancelSender;
  private final CreditBatcher credits;
  private final Demand demand = new Demand();
  private final ArrayDeque<TokenData> buffer = new ArrayDeque<>();
  /** Ids of every token received, in order: what a new worker replays if the stream moves. */
  private int[] receivedIds = new int[32];
  private int received;
  private final Promise<GenerationResult> result = Promise.promise();

  private Handler<TokenData> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;

  private boolean endArrived;
  private GenerationResult endResult;
  private boolean endDelivered;
  private TokenStreamException failure;
  private boolean failureReported;
  private boolean delivering;
  private boolean deliveryScheduled;

  private volatile int generated;
  private volatile int delivered;
  private volatile long lastActivityNanos;
  private volatile String workerEndpoint;
  private volatile String workerNode;
  private volatile String workerState;
  private volatile double gatewayQueueMs;
  private volatile int promptTokens;

  /**
   * @param context where the stream lives: intake, handlers and timers run there
   * @param window the tokens the worker may send before the first CREDIT (OPEN's window)
   * @param creditSender sends CREDIT(n) to the worker
   * @param cancelSender sends CANCEL(reason) to the worker
   */
  public TokenStream(Context context, String streamId, int window, IntConsumer creditSender,
      Consumer<String> cancelSender) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1, got " + window);
    }
    this.context = Objects.requireNonNull(context, "context");
    this.streamId = streamId;
    this.window = window;
    this.creditSender = Objects.requireNonNull(creditSender, "creditSender");
    this.cancelSender = Objects.requireNonNull(cancelSender, "cancelSender");
    this.credits = new CreditBatcher(window);
    this.lastActivityNanos = System.nanoTime();
  }

  // ---- intake: frames from the worker, and failures the gateway notices --------------------------

  public void onTokens(TokensFrame frame) {
    dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.GATEWAY_TOKENS);
    if (isFinished()) {
      return; // late frames after a cancel or failure are expected
    }
    lastActivityNanos = System.nanoTime();
    generated = frame.generated();
    int incoming = frame.tokens().size();
    if (buffer.size() + incoming > window + 2) {
      fail(StreamErrorType.PROTOCOL_ERROR, "the worker sent " + incoming + " tokens while " + buffer.size()
          + " were undelivered; the window is " + window);
      return;
    }
    java.util.List<TokenData> tokens = frame.tokens();
    for (TokenData t : tokens) {
      if (received == receivedIds.length) {
        receivedIds = java.util.Arrays.copyOf(receivedIds, received * 2);
      }
      receivedIds[received++] = t.tokenId();
    }
    int handed = buffer.isEmpty() ? handOver(tokens) : 0;
    for (int i = handed; i < incoming; i++) {
      buffer.add(tokens.get(i));
    }
    deliver();
  }

  /**
   * The common case of a consumer that keeps up: with nothing buffered, tokens go to the handler
   * straight from the frame while there is demand, not through {@link #buffer}. Same order and
   * credits as {@link #deliver()}; what is left is buffered by the caller. It also spares the
   * collector: the buffer is as old as the stream, and storing each token's new object in it
   * dirties a card that the next young pause must scan (about one per token at 10,000 streams).
   *
   * @return how many of {@code tokens} were handed over (all of them when the handler failed: the
   *     stream failed, and the rest is dropped with it)
   */
  private int handOver(java.util.List<TokenData> tokens) {
    if (delivering) {
      return 0; // inside a handler: the running loop delivers them from the buffer, in order
    }
    delivering = true;
    int i = 0;
    try {
      while (i < tokens.size() && failure == null && handler != null && demand.any()) {
        if (!handOne(tokens.get(i++))) {
          return tokens.size();
        }
      }
      return failure != null ? tokens.size() : i;
    } finally {
      delivering = false;
    }
  }

  public void onEnd(EndFrame frame) {
    if (isFinished()) {
      return;
    }
    lastActivityNanos = System.nanoTime();
    endArrived = true;
    endResult = frame.result();
    deliver();
  }

  public void onError(ErrorFrame frame) {
    if (isFinished()) {
      return;
    }
    lastActivityNanos = System.nanoTime();
    terminate(new TokenStreamException(frame.type(), frame.message()), null); // the worker has stopped already
  }

  public void onHeartbeat(HeartbeatFrame frame) {
    if (isFinished()) {
      return;
    }
    lastActivityNanos = System.nanoTime();
    generated = frame.generated();
    workerState = frame.state();
  }

  /**
   * Fails the stream for a reason the gateway found (worker left, inactivity, protocol violation).
   * Also sends CANCEL, so that a worker that is still alive stops generating for nobody. Ignored
   * once the stream is finished.
   */
  public void fail(StreamErrorType type, String message) {
    if (isFinished()) {
      return;
    }
    terminate(new TokenStreamException(type, message), type + ": " + message);
  }

  /** {@link #cancel(String)} with a generic reason. */
  public void cancel() {
    cancel("cancelled by the consumer");
  }

  /**
   * Stops the stream: sends CANCEL once (not when the worker has already ended or failed), drops
   * undelivered tokens and fails it with type {@code cancelled}. No-op once it ended or failed.
   */
  public void cancel(String reason) {
    if (failure != null || endDelivered) {
      return;
    }
    terminate(new TokenStreamException(StreamErrorType.CANCELLED, reason), endArrived ? null : reason);
  }

  // ---- ReadStream ------------------------------------------------------------------------------

  @Override
  public TokenStream handler(Handler<TokenData> handler) {
    this.handler = handler;
    if (handler != null) {
      scheduleDelivery();
    }
    return this;
  }

  @Override
  public TokenStream pause() {
    demand.pause();
    return this;
  }

  @Override
  public TokenStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public TokenStream fetch(long amount) {
    demand.add(amount);
    scheduleDelivery();
    return this;
  }

  @Override
  public TokenStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }

  @Override
  public TokenStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    if (handler != null && failure != null && !failureReported) {
      context.runOnContext(v -> reportFailure());
    }
    return this;
  }

  // ---- state -----------------------------------------------------------------------------------

  public String streamId() {
    return streamId;
  }

  public int window() {
    return window;
  }

  /** Completes with END's result when the end is delivered; fails with the stream's {@link TokenStreamException}. */
  public Future<GenerationResult> result() {
    return result.future();
  }

  /** True once the worker will send nothing more that counts: END or ERROR arrived, or it failed or was cancelled. */
  public boolean isFinished() {
    return endArrived || failure != null;
  }

  /** On the context. */
  public State state() {
    if (failure != null) {
      return State.FAILED;
    }
    if (endDelivered) {
      return State.ENDED;
    }
    return demand.any() ? State.OPEN : State.PAUSED;
  }

  /** The latest count of sampled tokens the worker reported (TOKENS or HEARTBEAT); may run ahead of the tokens sent. */
  public int tokensGenerated() {
    return generated;
  }

  /** Tokens handed to the handler. */
  public int tokensDelivered() {
    return delivered;
  }

  /** The ids of the tokens received so far (delivered or buffered), in order. On the context. */
  public java.util.List<Integer> receivedTokenIds() {
    java.util.List<Integer> ids = new java.util.ArrayList<>(received);
    for (int i = 0; i < received; i++) {
      ids.add(receivedIds[i]);
    }
    return ids;
  }

  /** Tokens that arrived and wait for demand or a handler. On the context. */
  public int bufferedTokens() {
    return buffer.size();
  }

  /** {@link System#nanoTime()} of the last frame from the worker (or of creation), for the inactivity sweep. */
  public long lastActivityNanos() {
    return lastActivityNanos;
  }

  /** The prompt's length in tokens, as the worker that accepted the stream counted it; 0 before. */
  public int promptTokens() {
    return promptTokens;
  }

  public void setPromptTokens(int tokens) {
    this.promptTokens = tokens;
  }

  /** How long the request waited at the gateway for a free slot before it was opened. */
  public double gatewayQueueMs() {
    return gatewayQueueMs;
  }

  public void setGatewayQueueMs(double ms) {
    this.gatewayQueueMs = ms;
  }

  /**
   * Set when a worker accepted the stream (ACCEPT), again when the stream moved to another worker,
   * and to null while it is between workers. Inactivity counts from here.
   */
  public void setWorker(String workerEndpoint, String workerNode) {
    this.workerEndpoint = workerEndpoint;
    this.workerNode = workerNode;
    this.lastActivityNanos = System.nanoTime();
  }

  public String workerEndpoint() {
    return workerEndpoint;
  }

  public String workerNode() {
    return workerNode;
  }

  /** The engine state from the latest HEARTBEAT (e.g. {@code PROMPT}), or null. */
  public String workerState() {
    return workerState;
  }

  // ---- delivery --------------------------------------------------------------------------------

  private void scheduleDelivery() {
    if (delivering || deliveryScheduled || !hasSomethingToDeliver()) {
      return; // a running delivery loop sees the new demand or handler by itself
    }
    deliveryScheduled = true;
    context.runOnContext(v -> {
      deliveryScheduled = false;
      deliver();
    });
  }

  private boolean hasSomethingToDeliver() {
    return failure == null && (!buffer.isEmpty() || (endArrived && !endDelivered));
  }

  private void deliver() {
    if (delivering) {
      return; // called from inside a handler: the loop below goes on by itself
    }
    delivering = true;
    try {
      while (failure == null && handler != null && demand.any() && !buffer.isEmpty()) {
        if (!handOne(buffer.poll())) {
          return;
        }
      }
      if (failure == null && endArrived && !endDelivered && buffer.isEmpty() && handler != null && demand.any()) {
        endDelivered = true;
        result.tryComplete(endResult);
        Handler<Void> h = endHandler;
        if (h != null) {
          h.handle(null);
        }
      }
    } finally {
      delivering = false;
    }
  }

  /** Hands one token to the handler, within the demand, and grants its credit; false when the handler threw. */
  private boolean handOne(TokenData token) {
    demand.take();
    delivered++;
    try {
      handler.handle(token);
    } catch (RuntimeException e) {
      consumerFailed(e);
      return false;
    }
    grantCredit();
    return true;
  }

  private void grantCredit() {
    int n = credits.took();
    if (n > 0 && !isFinished()) {
      creditSender.accept(n);
    }
  }

  private void consumerFailed(RuntimeException e) {
    if (failure == null) {
      String message = "the stream's handler threw " + e;
      terminate(new TokenStreamException(StreamErrorType.CONSUMER_ERROR, message, e),
          endArrived ? null : StreamErrorType.CONSUMER_ERROR + ": " + message);
    }
  }

  private void terminate(TokenStreamException cause, String cancelReason) {
    failure = cause;
    buffer.clear();
    if (cancelReason != null) {
      // Before failing the result: its owner may forget the stream (and its worker) on completion.
      cancelSender.accept(cancelReason);
    }
    result.tryFail(cause);
    reportFailure();
  }

  private void reportFailure() {
    Handler<Throwable> h = exceptionHandler;
    if (h != null && failure != null && !failureReported) {
      failureReported = true;
      h.handle(failure);
    }
  }
}
