package dev.tokenbus.gateway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.cluster.ClusterMembership;
import dev.tokenbus.protocol.WorkerStatus;
import dev.tokenbus.protocol.frame.CreditFrame;
import dev.tokenbus.protocol.frame.FrameCodec;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A worker whose address has no handler stays listed but is not chosen, and the gateway says why it is not ready. */
class WorkerReachabilityTest {

  private static WorkerStatus worker(String id, String model, long sequence) {
    return new WorkerStatus(id, "node-" + id, model, 2, 0, 0, 0, 0, 0, 100, 50, false, sequence, null);
  }

  @Test
  void anUnreachableWorkerIsListedButNotChosenUntilReachableAgain() {
    WorkerRegistry registry = new WorkerRegistry(60_000);
    registry.update(worker("a", "tiny", 1));
    registry.update(worker("b", "tiny", 1));
    assertThat(registry.notReady()).isNull();

    assertThat(registry.unreachable("a", "no handler")).isTrue();
    assertThat(registry.unreachable("a", "again")).as("marked once").isFalse();
    assertThat(registry.unreachable("unknown", "no handler")).as("not listed").isFalse();
    assertThat(registry.eligible("tiny")).extracting(WorkerStatus::workerId).containsExactly("b");
    assertThat(registry.all()).extracting(WorkerStatus::workerId).containsExactlyInAnyOrder("a", "b");
    assertThat(registry.unreachableReason("a")).isEqualTo("no handler");
    assertThat(registry.unreachableReason("b")).isNull();
    assertThat(registry.notReady()).as("b is still reachable").isNull();

    // Its announcements, published to every gateway, prove nothing about its own address.
    registry.update(worker("a", "tiny", 2));
    registry.reserved("a");
    assertThat(registry.unreachable()).containsExactly("a");

    assertThat(registry.reachable("a")).isTrue();
    assertThat(registry.reachable("a")).isFalse();
    assertThat(registry.eligible("tiny")).extracting(WorkerStatus::workerId).contains("a", "b");
  }

  @Test
  void withEveryKnownWorkerUnreachableTheGatewayIsNotReadyAndSaysWhy() {
    WorkerRegistry registry = new WorkerRegistry(60_000);
    assertThat(registry.notReady()).isEqualTo("no worker is reachable");
    registry.update(worker("a", "tiny", 1));
    registry.update(worker("b", "other", 1));
    registry.unreachable("a", "no handler");
    registry.unreachable("b", "no handler");

    assertThat(registry.notReady()).contains("no worker is reachable").contains("2 known worker(s)")
        .contains("no handler at their event-bus address");
    assertThat(registry.eligible(null)).isEmpty();
    assertThat(registry.noCandidate("tiny")).isInstanceOf(NoWorkerException.class)
        .hasMessageContaining("1 worker(s) of model 'tiny' have no handler");
    assertThat(registry.noCandidate("missing")).isInstanceOf(ModelNotFoundException.class);

    registry.removeNode("node-a");
    registry.removeNode("node-b");
    assertThat(registry.notReady()).isEqualTo("no worker is reachable");
  }

  @Test
  void aProbeAtTheWorkersAddressFindsItsHandlerAgain() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      FrameCodec.register(vertx.eventBus());
      Context context = vertx.getOrCreateContext();
      WorkerRegistry registry = new WorkerRegistry(60_000);
      AtomicInteger regained = new AtomicInteger();
      Reachability reachability = new Reachability(new EventBusWorkerLink(vertx, ClusterMembership.standalone("gw")),
          registry, regained::incrementAndGet);
      context.runOnContext(v -> {
        registry.update(worker("w1", "tiny", 1));
        reachability.lost("w1", "NO_HANDLERS");
        vertx.setPeriodic(50, id -> reachability.sweep(System.nanoTime()));
      });
      assertThat(onContext(context, () -> registry.unreachable())).containsExactly("w1");

      List<Object> probes = new CopyOnWriteArrayList<>();
      vertx.eventBus().consumer("w1", m -> probes.add(m.body())); // the worker's address has a handler again

      await().atMost(Duration.ofSeconds(5)).until(() -> regained.get() == 1);
      assertThat(onContext(context, () -> registry.unreachable())).isEmpty();
      assertThat(probes).first().isInstanceOf(CreditFrame.class); // a CREDIT for no stream, which a worker ignores
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static <T> T onContext(Context context, java.util.function.Supplier<T> read) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    context.runOnContext(v -> f.complete(read.get()));
    return f.get(5, TimeUnit.SECONDS);
  }

  @Test
  void onlyNoHandlersMeansUnreachable() {
    assertThat(EventBusWorkerLink.noAnswer(new ReplyException(ReplyFailure.NO_HANDLERS, "none")).noHandler()).isTrue();
    assertThat(EventBusWorkerLink.noAnswer(new ReplyException(ReplyFailure.TIMEOUT, "slow")).noHandler()).isFalse();
    assertThat(EventBusWorkerLink.noAnswer(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, "bad")).noHandler())
        .isFalse();
    assertThat(EventBusWorkerLink.noAnswer(new IllegalStateException()).noHandler()).isFalse();
  }
}
