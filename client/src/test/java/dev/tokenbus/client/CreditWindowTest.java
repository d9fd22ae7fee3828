package dev.tokenbus.client;

import dev.tokenbus.flow.CreditWindowContract;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The client's {@link TokenStream} in the credit-window scenarios it shares with the gateway's
 * (common's {@code dev.tokenbus.flow.TokenStream}): tokens fed in as its transport does (on the
 * stream's context), taken with {@link TokenStream#next()}, the credits its transport is asked to
 * send recorded.
 */
class CreditWindowTest extends CreditWindowContract {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  /** Runs {@code body} on {@code context} and waits for it. */
  private static void on(Context context, Runnable body) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      body.run();
      done.complete(null);
    });
    done.join();
  }

  @Override
  protected Window open(int window) {
    Context context = vertx.getOrCreateContext();
    TokenStream stream = new TokenStream(context,
        StreamConfig.builder().bufferSize(window).timeoutMs(0).build());
    List<Integer> grants = new CopyOnWriteArrayList<>();
    stream.attach(new TokenStream.Leg() {
      @Override
      public void grant(int n) {
        grants.add(n);
      }

      @Override
      public void cancel() {
      }
    });
    return new Window() {
      private int next;

      @Override
      public void arrive(int n) {
        on(context, () -> {
          for (int i = 0; i < n; i++) {
            stream.onToken(new TokenData(next++, "t", 1, -0.5, List.of(), false, null));
          }
        });
      }

      @Override
      public void arriveEnd() {
        on(context, () -> {
          stream.onToken(new TokenData(next, "", 2, -0.5, List.of(), true, FinishReason.STOP));
          stream.onDone(new StreamSummary(FinishReason.STOP, 3, ++next, 42));
        });
      }

      @Override
      public void take(int n) throws InterruptedException {
        for (int i = 0; i < n; i++) {
          stream.next();
        }
      }

      @Override
      public List<Integer> grants() {
        return List.copyOf(grants);
      }

      @Override
      public void cancel() {
        stream.cancel();
      }
    };
  }
}
