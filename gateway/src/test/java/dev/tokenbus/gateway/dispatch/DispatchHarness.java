package dev.tokenbus.gateway.dispatch;

import static org.awaitility.Awaitility.await;

import dev.tokenbus.flow.TokenStream;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.Usage;
import dev.tokenbus.protocol.WorkerStatus;
import dev.tokenbus.protocol.frame.EndFrame;
import dev.tokenbus.protocol.frame.TokensFrame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * One {@link Dispatcher} on its own context with a {@link FakeWorkerLink}: no cluster, no model.
 * The test acts on the dispatcher's context through {@link #on}; time for the sweeps is whatever
 * the test passes to {@link #sweepAfter}.
 */
final class DispatchHarness implements AutoCloseable {

  /** Long enough that the real periodic sweep never finds a stream silent during a test. */
  static final long INACTIVITY_MS = 60_000;
  private static final AtomicLong SEQUENCE = new AtomicLong();

  final Vertx vertx;
  final Context context;
  final FakeWorkerLink link;
  final Dispatcher dispatcher;

  private DispatchHarness(Vertx vertx, DispatchOptions options, Map<String, Reconnects.Holder> claims,
      Map<String, Context> holderContexts) throws Exception {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.link = new FakeWorkerLink(context, "gateway-" + SEQUENCE.incrementAndGet(), claims, holderContexts);
    this.dispatcher = result(on(() -> Dispatcher.create(vertx, link, options)));
  }

  /** Options for these tests: queue of {@code queueSize}, grace {@code graceMs}, least loaded dispatch. */
  static DispatchOptions options(int queueSize, long graceMs) {
    return new DispatchOptions(2000, INACTIVITY_MS, 600_000, queueSize, graceMs, -1, 60_000);
  }

  static DispatchHarness start(Vertx vertx, DispatchOptions options) throws Exception {
    return new DispatchHarness(vertx, options, new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
  }

  /** A second gateway of the same test: claims reach the other's streams. */
  DispatchHarness another(DispatchOptions options) throws Exception {
    return new DispatchHarness(vertx, options, link.claimHolders(), link.holderContexts());
  }

  /** Runs {@code action} on the dispatcher's context and returns what it returns. */
  <T> T on(Supplier<T> action) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        result.complete(action.get());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    });
    return result.get(5, TimeUnit.SECONDS);
  }

  void run(Runnable action) throws Exception {
    on(() -> {
      action.run();
      return null;
    });
  }

  /** Waits until {@code condition}, read on the dispatcher's context, holds. */
  void until(Supplier<Boolean> condition) {
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(2)).until(() -> on(condition));
  }

  /** The value {@code f} completes with, waiting for it. */
  static <T> T result(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  /** Why {@code f} failed; fails the test when it succeeds or is still pending. */
  Throwable failure(Future<?> f) throws Exception {
    until(f::isComplete);
    if (f.succeeded()) {
      throw new AssertionError("expected a failure, got " + f.result());
    }
    return f.cause();
  }

  /** Announces worker {@code id} of {@code model} with {@code slots} slots, {@code active} of them in use. */
  void announce(String id, String model, int slots, int active) throws Exception {
    WorkerStatus s = new WorkerStatus(id, FakeWorkerLink.nodeOf(id), model, slots, active, active, 0, 0, 0, 100,
        100, false, SEQUENCE.incrementAndGet(), null);
    run(() -> link.status(s));
  }

  /** Runs the dispatcher's sweep as if {@code ms} had passed since now. */
  void sweepAfter(long ms) throws Exception {
    run(() -> dispatcher.sweep(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms)));
  }

  /** A request with a window of 4 tokens, seed 7 and no timeout (the sweeps the tests run never end it). */
  static GenerationRequest request(String id) {
    return request(id, StreamConfig.defaults().toBuilder().bufferSize(4).seed(7L).timeoutMs(StreamConfig.NO_TIMEOUT)
        .build());
  }

  static GenerationRequest request(String id, StreamConfig config) {
    return new GenerationRequest(id, "once upon a time", config);
  }

  /** Starts a generation of {@code model} for {@code owner}. */
  Future<TokenStream> generate(String id, String model, StreamOwner owner) throws Exception {
    return on(() -> dispatcher.generate(request(id), model, owner));
  }

  /** Starts a generation, has {@code worker} accept it, and consumes its tokens into {@code got}. */
  TokenStream opened(String id, StreamOwner owner, List<TokenData> got) throws Exception {
    Future<TokenStream> f = generate(id, null, owner);
    run(() -> link.lastOpen().accept());
    TokenStream s = result(f);
    run(() -> s.handler(got::add));
    return s;
  }

  /** Tokens with ids {@code ids}, from index {@code first}, as a worker sends them on {@code wire}. */
  static TokensFrame tokens(String wire, int first, int... ids) {
    List<TokenData> list = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      list.add(new TokenData(first + i, "t" + ids[i], ids[i], -0.5, null, false, null));
    }
    return new TokensFrame(wire, first + ids.length, list);
  }

  static EndFrame end(String wire, int tokens) {
    return new EndFrame(wire, new GenerationResult(FinishReason.STOP, new Usage(3, tokens), null, null, 7));
  }

  @Override
  public void close() throws Exception {
    result(on(dispatcher::close));
  }
}
