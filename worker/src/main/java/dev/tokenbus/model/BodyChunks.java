package dev.tokenbus.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A response body handed from the HTTP client's threads to the downloading thread, which waits a bounded time for
 * each chunk. That bound is the stall timeout: {@code HttpRequest.timeout} only covers the wait for the headers.
 */
final class BodyChunks implements Flow.Subscriber<List<ByteBuffer>> {
  /** Chunks requested ahead, so the network is read while the previous chunk is written to disk. */
  private static final int PREFETCH = 16;
  private static final Object END = new Object();

  private final BlockingQueue<Object> signals = new LinkedBlockingQueue<>();
  private volatile Flow.Subscription subscription;
  private volatile boolean cancelled;

  /** No chunk arrived within the stall timeout. */
  static final class StalledException extends IOException {
    StalledException(Duration timeout) {
      super("no data for " + timeout.toMillis() + " ms");
    }
  }

  private record Failure(Throwable cause) {
  }

  /** Reads nothing of a body that is not wanted (an error page), so its connection is let go. */
  static void discard(Flow.Publisher<List<ByteBuffer>> body) {
    BodyChunks unwanted = new BodyChunks();
    unwanted.cancel();
    body.subscribe(unwanted);
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (cancelled) {
      s.cancel();
    } else {
      s.request(PREFETCH);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> chunk) {
    signals.add(chunk);
  }

  @Override
  public void onError(Throwable error) {
    signals.add(new Failure(error));
  }

  @Override
  public void onComplete() {
    signals.add(END);
  }

  /**
   * The next chunk, or null at the end of the body.
   *
   * @throws StalledException when nothing arrived within {@code stallTimeout}
   * @throws IOException      the transport's failure (connection reset, closed early, ...)
   */
  @SuppressWarnings("unchecked")
  List<ByteBuffer> next(Duration stallTimeout) throws IOException, InterruptedException {
    Object signal = signals.poll(stallTimeout.toNanos(), TimeUnit.NANOSECONDS);
    if (signal == null) {
      throw new StalledException(stallTimeout);
    }
    if (signal == END) {
      return null;
    }
    if (signal instanceof Failure(Throwable cause)) {
      throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
    }
    subscription.request(1);
    return (List<ByteBuffer>) signal;
  }

  /** Stops the body; safe to call at any time, more than once. */
  void cancel() {
    cancelled = true;
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }
}
