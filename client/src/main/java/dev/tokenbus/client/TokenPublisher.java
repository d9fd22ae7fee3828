package dev.tokenbus.client;

import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@link TokenStream#publisher()}: the stream's {@code ReadStream} side as a Reactive Streams
 * publisher. {@code request(n)} is the stream's {@code fetch(n)}, so demand flows back to the
 * worker exactly as for any other consumer. Every signal comes from the stream's context, one at
 * a time.
 */
final class TokenPublisher implements Flow.Publisher<TokenData> {

  private final TokenStream stream;
  private final AtomicBoolean subscribed = new AtomicBoolean();

  TokenPublisher(TokenStream stream) {
    this.stream = stream;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super TokenData> subscriber) {
    Objects.requireNonNull(subscriber, "subscriber"); // rule 1.9
    if (!subscribed.compareAndSet(false, true)) {
      subscriber.onSubscribe(new Flow.Subscription() {
        @Override
        public void request(long n) {}

        @Override
        public void cancel() {}
      });
      subscriber.onError(new IllegalStateException("a TokenStream can be subscribed to once"));
      return;
    }
    stream.context().runOnContext(v -> new Subscription(subscriber).start());
  }

  private final class Subscription implements Flow.Subscription {
    private final Flow.Subscriber<? super TokenData> subscriber;
    /** Set on the first terminal signal or cancel: nothing is signalled after it (rules 1.7, 3.6). */
    private final AtomicBoolean done = new AtomicBoolean();

    Subscription(Flow.Subscriber<? super TokenData> subscriber) {
      this.subscriber = subscriber;
    }

    /** On the stream's context: no demand until the subscriber asks. */
    void start() {
      stream.pause();
      stream.endHandler(v -> {
        if (done.compareAndSet(false, true)) {
          subscriber.onComplete();
        }
      });
      stream.exceptionHandler(e -> {
        if (done.compareAndSet(false, true)) {
          subscriber.onError(e);
        }
      });
      stream.handler(t -> {
        if (!done.get()) {
          subscriber.onNext(t);
        }
      });
      subscriber.onSubscribe(this);
    }

    @Override
    public void request(long n) {
      if (done.get()) {
        return; // rule 3.6
      }
      if (n <= 0) { // rule 3.9
        stream.context().runOnContext(v -> {
          if (done.compareAndSet(false, true)) {
            stream.cancel();
            subscriber.onError(new IllegalArgumentException("request(n) needs n > 0 (rule 3.9), got " + n));
          }
        });
        return;
      }
      stream.fetch(n); // deliveries run later on the context, never inside this call (rule 3.3)
    }

    @Override
    public void cancel() {
      if (done.compareAndSet(false, true)) {
        stream.cancel();
      }
    }
  }
}
