package dev.tokenbus.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * Server-Sent Events on one HTTP response: {@code id:}, {@code event:} and {@code data:} lines
 * per event, and a comment line when nothing was sent for a while (a long prompt), so that
 * proxies keep the connection and a vanished client is noticed by the failed write.
 */
final class SseChannel implements EventChannel {

  private final Vertx vertx;
  private final HttpServerResponse response;
  private final long keepAliveTimer;
  private long lastWriteNanos = System.nanoTime();

  SseChannel(Vertx vertx, HttpServerResponse response, long keepAliveMs, int writeQueueBytes) {
    this.vertx = vertx;
    this.response = response;
    if (writeQueueBytes > 0) {
      response.setWriteQueueMaxSize(writeQueueBytes);
    }
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    long keepAliveNanos = keepAliveMs * 1_000_000L;
    this.keepAliveTimer = vertx.setPeriodic(Math.max(1, keepAliveMs / 2), id -> {
      if (!response.ended() && !response.closed() && System.nanoTime() - lastWriteNanos >= keepAliveNanos) {
        write(": keep-alive\n\n");
      }
    });
  }

  @Override
  public Future<Void> send(String event, String id, JsonObject payload) {
    StringBuilder sb = new StringBuilder(64 + payload.size() * 16);
    if (id != null) {
      sb.append("id: ").append(id).append('\n');
    }
    // JSON from encode() has no raw newlines, so one data line is always enough.
    sb.append("event: ").append(event).append('\n').append("data: ").append(payload.encode()).append("\n\n");
    return write(sb.toString());
  }

  private Future<Void> write(String text) {
    if (response.ended() || response.closed()) {
      return Future.failedFuture("the client has gone");
    }
    lastWriteNanos = System.nanoTime();
    return response.write(text);
  }

  @Override
  public boolean writeQueueFull() {
    return response.writeQueueFull();
  }

  @Override
  public void drainHandler(Handler<Void> handler) {
    response.drainHandler(handler);
  }

  @Override
  public void close() {
    vertx.cancelTimer(keepAliveTimer);
    if (!response.ended() && !response.closed()) {
      response.end();
    }
  }

  @Override
  public void onClientGone(Handler<Void> handler) {
    response.closeHandler(v -> {
      vertx.cancelTimer(keepAliveTimer);
      handler.handle(null);
    });
  }
}
