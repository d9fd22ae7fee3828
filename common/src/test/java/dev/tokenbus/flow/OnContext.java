package dev.tokenbus.flow;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Runs test code on a Vert.x context from the JUnit thread and waits for it. */
final class OnContext {

  private OnContext() {}

  static <T> T call(Context context, Supplier<T> body) {
    Promise<T> done = Promise.promise();
    context.runOnContext(v -> {
      try {
        done.complete(body.get());
      } catch (Throwable t) {
        done.fail(t);
      }
    });
    return done.future().await();
  }

  static void run(Context context, Runnable body) {
    call(context, () -> {
      body.run();
      return null;
    });
  }

  /**
   * Lets every task already queued on these contexts run, and what those tasks queue in turn on
   * the others, a few hops deep: event-bus deliveries between local contexts are queued tasks too.
   */
  static void settle(Context... contexts) {
    for (int hop = 0; hop < 4; hop++) {
      for (Context c : contexts) {
        run(c, () -> {});
      }
    }
  }

  /** Waits for a test context created by the test itself, and rethrows what failed it. */
  static void awaitSuccess(VertxTestContext test) throws Throwable {
    if (!test.awaitCompletion(5, TimeUnit.SECONDS)) {
      throw new AssertionError("not completed in 5 s; unflagged checkpoints: " + test.unsatisfiedCheckpointCallSites());
    }
    if (test.failed()) {
      throw test.causeOfFailure();
    }
  }

  static <T> Future<T> future(Context context, Supplier<Future<T>> body) {
    return call(context, body);
  }
}
