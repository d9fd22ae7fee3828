package dev.tokenbus.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class FrameCodecEventBusTest {

  @Test
  void registeringTwiceIsHarmless(Vertx vertx) {
    EventBus bus = vertx.eventBus();
    FrameCodec.register(bus);
    FrameCodec.register(bus);
    bus.send("nowhere", new CreditFrame("s", 1), FrameCodec.options()); // the codec is known
    // Registered directly, behind register()'s back: still fine.
    Vertx other = Vertx.vertx();
    try {
      other.eventBus().registerCodec(new FrameCodec());
      FrameCodec.register(other.eventBus());
    } finally {
      other.close().await();
    }
  }

  @Test
  void framesTravelTheBusWithTheCodecName(Vertx vertx, VertxTestContext test) {
    FrameCodec.register(vertx.eventBus());
    Frame sent = FrameSamples.all().get(0);
    vertx.eventBus().<Frame>consumer("frames", msg -> test.verify(() -> {
      assertThat(msg.body()).isSameAs(sent); // local delivery uses transform
      msg.reply(new CreditFrame(sent.streamId(), 8), FrameCodec.options());
    })).completion()
        .compose(v -> vertx.eventBus().<Frame>request("frames", sent, FrameCodec.options()))
        .onComplete(test.succeeding(reply -> test.verify(() -> {
          assertThat(reply.body()).isEqualTo(new CreditFrame(sent.streamId(), 8));
          test.completeNow();
        })));
  }
}
