package dev.tokenbus.engine;

import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.TokenData;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A sink for tests: records every frame and the end, and can be made "full" to pause its
 * sequence, either by hand or automatically once it holds a given number of unread tokens.
 */
public class RecordingSink implements TokenSink {

  final List<TokenData> tokens = new CopyOnWriteArrayList<>();
  final CompletableFuture<GenerationResult> ended = new CompletableFuture<>();
  private volatile boolean full;
  private volatile int pauseAfter = Integer.MAX_VALUE;
  private volatile Runnable onDrain = () -> {};
  volatile int fullChecks;

  @Override
  public void write(TokenData token) {
    if (ended.isDone()) {
      throw new AssertionError("write after end");
    }
    tokens.add(token);
  }

  @Override
  public boolean writeQueueFull() {
    fullChecks++;
    return full || tokens.size() >= pauseAfter;
  }

  @Override
  public void drainHandler(Runnable handler) {
    this.onDrain = handler;
  }

  @Override
  public void end(GenerationResult result) {
    if (!ended.complete(result)) {
      throw new AssertionError("end called twice");
    }
  }

  /** Reports full once {@code n} tokens have arrived, until {@link #resume()}. */
  public RecordingSink pauseAfter(int n) {
    pauseAfter = n;
    return this;
  }

  public void setFull(boolean isFull) {
    full = isFull;
    if (!isFull) {
      onDrain.run();
    }
  }

  public void resume() {
    pauseAfter = Integer.MAX_VALUE;
    setFull(false);
  }

  public GenerationResult await() {
    return await(Duration.ofSeconds(60));
  }

  public GenerationResult await(Duration timeout) {
    try {
      return ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("generation did not end within " + timeout + "; got " + tokens.size() + " tokens", e);
    }
  }

  public String text() {
    return tokens.stream().map(TokenData::text).collect(Collectors.joining());
  }

  public List<Integer> tokenIds() {
    return tokens.stream().map(TokenData::tokenId).toList();
  }

  public List<TokenData> tokens() {
    return tokens;
  }
}
