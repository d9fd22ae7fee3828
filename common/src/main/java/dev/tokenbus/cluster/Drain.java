package dev.tokenbus.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.BooleanSupplier;

/** Graceful shutdown's waiting part: let running work finish, up to a deadline. Shared by gateways and workers. */
public final class Drain {

  private static final long CHECK_MS = 50;

  private Drain() {}

  /**
   * Completes with true as soon as {@code drained} holds, or with false when {@code deadlineMs}
   * passed first. Checked on the caller's context.
   */
  public static Future<Boolean> until(Vertx vertx, BooleanSupplier drained, long deadlineMs) {
    if (drained.getAsBoolean()) {
      return Future.succeededFuture(true);
    }
    Promise<Boolean> done = Promise.promise();
    long deadline = System.nanoTime() + deadlineMs * 1_000_000L;
    vertx.setPeriodic(CHECK_MS, id -> {
      if (drained.getAsBoolean()) {
        vertx.cancelTimer(id);
        done.tryComplete(true);
      } else if (System.nanoTime() - deadline > 0) {
        vertx.cancelTimer(id);
        done.tryComplete(false);
      }
    });
    return done.future();
  }
}
