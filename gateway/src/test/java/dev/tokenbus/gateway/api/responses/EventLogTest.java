package dev.tokenbus.gateway.api.responses;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.gateway.dispatch.EventBatch;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A background response's event log: reads after any sequence number, batches bounded in bytes,
 * a read that waits is answered by the next event, the end or its timeout, and a log past its bound
 * drops its oldest events and refuses reads from before them.
 */
class EventLogTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** Runs {@code step} on one event loop, as the gateway does, and waits for what its future gives. */
  private <T> T onLoop(Supplier<Future<T>> step) throws Exception {
    CompletableFuture<T> out = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> step.get().onComplete(ar -> {
      if (ar.succeeded()) {
        out.complete(ar.result());
      } else {
        out.completeExceptionally(ar.cause());
      }
    }));
    try {
      return out.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  private static JsonObject event(int n, int pad) {
    return new JsonObject().put("type", "response.output_text.delta").put("sequence_number", n)
        .put("delta", "x".repeat(pad));
  }

  private static int seq(EventBatch b, int i) {
    return new JsonObject(b.events().get(i)).getInteger("sequence_number");
  }

  @Test
  void readsAfterAnySequenceNumberInBatchesBoundedInBytes() throws Exception {
    EventLog log = new EventLog(vertx, "resp_t");
    for (int i = 0; i < 10; i++) {
      log.append("response.output_text.delta", event(i, 20_000));
    }
    EventBatch first = onLoop(() -> log.read(-1, 1000));
    assertThat(first.events()).hasSize(3); // 3 x 20 KB fit in a batch, 4 do not
    assertThat(seq(first, 0)).isZero();
    assertThat(first.types()).containsOnly("response.output_text.delta");
    assertThat(first.ended()).isFalse();
    EventBatch fromSix = onLoop(() -> log.read(5, 1000));
    assertThat(seq(fromSix, 0)).isEqualTo(6);
    log.end();
    EventBatch tail = onLoop(() -> log.read(8, 1000));
    assertThat(tail.events()).hasSize(1);
    assertThat(seq(tail, 0)).isEqualTo(9);
    assertThat(tail.ended()).isTrue();
    EventBatch all = onLoop(() -> log.read(9, 1000));
    assertThat(all.events()).as("the client has every event").isEmpty();
    assertThat(all.ended()).isTrue();
    // Past the last event: no client can have seen it.
    for (long after : new long[] {10, 1_000_000}) {
      try {
        onLoop(() -> log.read(after, 1000));
        throw new AssertionError("a read after event " + after + " of 10 was answered");
      } catch (RequestValidationException e) {
        assertThat(e.param()).isEqualTo("starting_after");
        assertThat(e.getMessage()).contains("past the last event");
      }
    }
  }

  @Test
  void aWaitingReadIsAnsweredByTheNextEventTheEndOrItsTimeout() throws Exception {
    EventLog log = new EventLog(vertx, "resp_t");
    log.append("response.created", event(0, 1));
    // Nothing comes: the read answers with no event once it waited.
    long t0 = System.nanoTime();
    EventBatch none = onLoop(() -> log.read(0, 200));
    assertThat(none.events()).isEmpty();
    assertThat(none.ended()).isFalse();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(190);
    // An event comes while a read waits: it is the answer.
    EventBatch next = onLoop(() -> {
      Future<EventBatch> waiting = log.read(0, 60_000);
      vertx.setTimer(50, t -> log.append("response.in_progress", event(1, 1)));
      return waiting;
    });
    assertThat(next.events()).hasSize(1);
    assertThat(seq(next, 0)).isEqualTo(1);
    // The end while a read waits answers it, ended.
    EventBatch end = onLoop(() -> {
      Future<EventBatch> waiting = log.read(1, 60_000);
      vertx.setTimer(50, t -> log.end());
      return waiting;
    });
    assertThat(end.events()).isEmpty();
    assertThat(end.ended()).isTrue();
  }

  @Test
  void pastItsBoundTheOldestEventsGoAndAReadFromBeforeThemIsRefused() throws Exception {
    EventLog log = new EventLog(vertx, "resp_t", 10_000);
    for (int i = 0; i < 20; i++) {
      log.append("response.output_text.delta", event(i, 1_000)); // about 1.1 KB each
    }
    assertThat(log.next()).isEqualTo(20);
    try {
      onLoop(() -> log.read(0, 1000));
      throw new AssertionError("a read from a dropped event was answered");
    } catch (RequestValidationException e) {
      assertThat(e.param()).isEqualTo("starting_after");
      assertThat(e.getMessage()).contains("no longer kept");
    }
    EventBatch kept = onLoop(() -> log.read(15, 1000));
    assertThat(seq(kept, 0)).isEqualTo(16);
    assertThat(kept.events()).hasSize(4);
  }
}
