package dev.tokenbus.flow;

import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamErrorType;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * Stands in for the engine's decode loop: a plain thread that writes tokens while the stream is
 * not full, waits for the drain handler when it is, and ends with {@code finish} (or {@code fail}).
 */
final class FakeEngine {

  private final CreditedWriteStream out;
  private final int tokens;
  private final Semaphore drained = new Semaphore(0);
  private final AtomicInteger written = new AtomicInteger();
  private final AtomicInteger drains = new AtomicInteger();
  private final AtomicInteger fullChecks = new AtomicInteger();
  private final AtomicInteger maxOutstanding = new AtomicInteger();
  private volatile boolean cancelled;
  private IntSupplier consumed = () -> 0;
  private int failAfter = -1;
  private StreamErrorType failType;
  private String failMessage;
  /** The result it finished with; null when it failed the stream instead. */
  final CompletableFuture<GenerationResult> done = new CompletableFuture<>();

  FakeEngine(CreditedWriteStream out, int tokens) {
    this.out = out;
    this.tokens = tokens;
  }

  FakeEngine failAfter(int n, StreamErrorType type, String message) {
    failAfter = n;
    failType = type;
    failMessage = message;
    return this;
  }

  /** Tracks the most tokens written but not yet taken by whatever {@code consumed} counts. */
  FakeEngine measureOutstandingAgainst(IntSupplier consumed) {
    this.consumed = consumed;
    return this;
  }

  FakeEngine start() {
    out.drainHandler(v -> {
      drains.incrementAndGet();
      drained.release();
    });
    Thread.ofPlatform().daemon().name("fake-engine").start(this::run);
    return this;
  }

  void cancel() {
    cancelled = true;
    drained.release();
  }

  int written() {
    return written.get();
  }

  int drains() {
    return drains.get();
  }

  /** How often it found the stream full before a step. */
  int fullChecks() {
    return fullChecks.get();
  }

  int maxOutstanding() {
    return maxOutstanding.get();
  }

  private void run() {
    try {
      for (int i = 0; i < tokens && !cancelled; i++) {
        if (i == failAfter) {
          out.fail(failType, failMessage);
          done.complete(null);
          return;
        }
        while (out.writeQueueFull() && !cancelled) {
          fullChecks.incrementAndGet();
          drained.tryAcquire(100, TimeUnit.MILLISECONDS); // woken by the drain handler; the timeout re-checks
        }
        if (cancelled) {
          break;
        }
        int n = written.incrementAndGet();
        maxOutstanding.accumulateAndGet(n - consumed.getAsInt(), Math::max);
        out.write(i == tokens - 1 ? Tokens.last(i) : Tokens.token(i));
      }
      GenerationResult result = Tokens.result(cancelled ? FinishReason.CANCELLED : FinishReason.STOP, written.get());
      out.finish(result);
      done.complete(result);
    } catch (Throwable t) {
      done.completeExceptionally(t);
    }
  }
}
