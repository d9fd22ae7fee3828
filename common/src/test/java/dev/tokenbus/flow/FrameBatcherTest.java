package dev.tokenbus.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.protocol.frame.CreditFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.FrameBatch;
import dev.tokenbus.protocol.frame.FrameCodec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FrameBatcherTest {

  private Vertx vertx;
  private Context sending;
  private final String target = "test.gateway." + UUID.randomUUID();
  /** Each message's frames, as the endpoint received them. */
  private final List<List<Frame>> messages = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    sending = vertx.getOrCreateContext();
    Context receiving = vertx.getOrCreateContext();
    FrameCodec.register(vertx.eventBus());
    OnContext.future(receiving, () -> vertx.eventBus().<Object>consumer(target, m -> {
      List<Frame> frames = new ArrayList<>();
      FrameBatch.forEach(m.body(), frames::add);
      messages.add(frames);
    }).completion()).await();
  }

  private List<Frame> framesReceived() {
    return messages.stream().flatMap(List::stream).toList();
  }

  @Test
  void theFramesOfOneTurnLeaveAsOneMessageInOrder() {
    FrameBatcher batcher = OnContext.call(sending, () -> new FrameBatcher(sending, vertx.eventBus(), target));
    List<Frame> sent = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      sent.add(new CreditFrame("s" + (i % 7), i + 1));
    }
    List<Future<Void>> written = OnContext.call(sending, () -> sent.stream().map(batcher::send).toList());
    await().atMost(Duration.ofSeconds(5)).until(() -> framesReceived().size() == sent.size());
    assertThat(messages).hasSize(1);
    assertThat(framesReceived()).isEqualTo(sent);
    assertThat(written).allMatch(Future::succeeded);
    assertThat(batcher.address()).isEqualTo(target);

    // The next turn's frames are the next message.
    OnContext.run(sending, () -> batcher.send(new CreditFrame("later", 1)));
    await().atMost(Duration.ofSeconds(5)).until(() -> messages.size() == 2);
    assertThat(messages.get(1)).containsExactly(new CreditFrame("later", 1));
  }

  @Test
  void aFullBatchLeavesAtOnceAndTheRestFollows() {
    FrameBatcher batcher = OnContext.call(sending, () -> new FrameBatcher(sending, vertx.eventBus(), target));
    int n = 2 * FrameBatcher.MAX_FRAMES + 10;
    List<Frame> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sent.add(new CreditFrame("s", i + 1));
    }
    OnContext.run(sending, () -> sent.forEach(batcher::send));
    await().atMost(Duration.ofSeconds(5)).until(() -> framesReceived().size() == n);
    assertThat(messages).extracting(List::size)
        .containsExactly(FrameBatcher.MAX_FRAMES, FrameBatcher.MAX_FRAMES, 10);
    assertThat(framesReceived()).isEqualTo(sent);
  }

  @Test
  void everyFrameOfABatchNobodyTakesFailsWithNoHandlers() {
    FrameBatcher batcher = OnContext.call(sending,
        () -> new FrameBatcher(sending, vertx.eventBus(), "test.nobody." + UUID.randomUUID()));
    List<Future<Void>> written = OnContext.call(sending, () -> List.of(batcher.send(new CreditFrame("a", 1)),
        batcher.send(new CreditFrame("b", 1))));
    await().atMost(Duration.ofSeconds(5)).until(() -> written.stream().allMatch(Future::isComplete));
    for (Future<Void> f : written) {
      assertThat(f.failed()).isTrue();
      assertThat(f.cause()).isInstanceOf(ReplyException.class);
      assertThat(((ReplyException) f.cause()).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS);
    }
  }
}
