package dev.tokenbus.flow;

import dev.tokenbus.protocol.frame.CancelFrame;
import dev.tokenbus.protocol.frame.CreditFrame;
import dev.tokenbus.protocol.frame.EndFrame;
import dev.tokenbus.protocol.frame.ErrorFrame;
import dev.tokenbus.protocol.frame.Frame;
import dev.tokenbus.protocol.frame.FrameBatch;
import dev.tokenbus.protocol.frame.FrameCodec;
import dev.tokenbus.protocol.frame.HeartbeatFrame;
import dev.tokenbus.protocol.frame.TokensFrame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A gateway and a worker on two contexts of one Vertx, joined by the event bus the way the real
 * ones are: the worker's {@link CreditedWriteStream} sends to the gateway endpoint, whose consumer
 * feeds a {@link TokenStream}; CREDIT and CANCEL go back to the worker endpoint. Every frame is
 * recorded where it arrives.
 */
final class FlowHarness {

  final Vertx vertx;
  final EventBus bus;
  final Context gateway;
  final Context worker;
  final String gatewayAddress = "test.gateway." + UUID.randomUUID();
  final String workerAddress = "test.worker." + UUID.randomUUID();
  final String streamId = "s-" + UUID.randomUUID();
  final int window;
  final List<Frame> atGateway = new CopyOnWriteArrayList<>();
  final List<Frame> atWorker = new CopyOnWriteArrayList<>();
  volatile TokenStream stream;
  volatile CreditedWriteStream producer;
  volatile Runnable onCancel = () -> {};

  private FlowHarness(Vertx vertx, int window) {
    this.vertx = vertx;
    this.bus = vertx.eventBus();
    this.window = window;
    this.gateway = vertx.getOrCreateContext();
    this.worker = vertx.getOrCreateContext();
  }

  /** Call from the test thread. */
  static FlowHarness start(Vertx vertx, int window) {
    FlowHarness h = new FlowHarness(vertx, window);
    FrameCodec.register(h.bus);
    Future<Void> gatewayUp = OnContext.future(h.gateway, () -> {
      h.stream = new TokenStream(h.gateway, h.streamId, window,
          n -> h.bus.send(h.workerAddress, new CreditFrame(h.streamId, n), FrameCodec.options()),
          reason -> h.bus.send(h.workerAddress, new CancelFrame(h.streamId, reason), FrameCodec.options()));
      return h.bus.<Object>consumer(h.gatewayAddress, m -> FrameBatch.forEach(m.body(), h::atGateway)).completion();
    });
    Future<Void> workerUp = OnContext.future(h.worker, () -> {
      h.producer = new CreditedWriteStream(h.worker, h.bus, h.gatewayAddress, h.streamId, window);
      return h.bus.<Frame>consumer(h.workerAddress, h::atWorker).completion();
    });
    Future.all(gatewayUp, workerUp).await();
    return h;
  }

  private void atGateway(Frame f) {
    atGateway.add(f);
    switch (f) {
      case TokensFrame t -> stream.onTokens(t);
      case EndFrame e -> stream.onEnd(e);
      case ErrorFrame e -> stream.onError(e);
      case HeartbeatFrame h -> stream.onHeartbeat(h);
      default -> throw new AssertionError("unexpected at the gateway: " + f);
    }
  }

  private void atWorker(Message<Frame> msg) {
    Frame f = msg.body();
    atWorker.add(f);
    switch (f) {
      case CreditFrame c -> producer.addCredits(c.credits());
      case CancelFrame c -> onCancel.run();
      default -> throw new AssertionError("unexpected at the worker: " + f);
    }
  }

  <T> T onGateway(Supplier<T> body) {
    return OnContext.call(gateway, body);
  }

  void onGateway(Runnable body) {
    OnContext.run(gateway, body);
  }

  /** Lets frames in flight between the two contexts land. */
  void settle() {
    OnContext.settle(worker, gateway);
  }

  long framesAtGateway(Class<? extends Frame> type) {
    return atGateway.stream().filter(type::isInstance).count();
  }

  long framesAtWorker(Class<? extends Frame> type) {
    return atWorker.stream().filter(type::isInstance).count();
  }

  List<String> cancelReasons() {
    return atWorker.stream().filter(CancelFrame.class::isInstance).map(f -> ((CancelFrame) f).reason()).toList();
  }
}
