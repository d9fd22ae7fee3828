package dev.tokenbus.gateway.serve;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonObject;

/**
 * Server-Sent Events on one HTTP response: {@code id:}, {@code event:} and {@code data:} lines
 * per event, and a keep-alive when nothing was sent for a while (a long prompt): a comment line,
 * or the API's own event where its clients expect one (Anthropic's {@code ping}), so that proxies
 * keep the connection and a vanished client is noticed by the failed write. The status
 * line and headers are written when the channel opens (the stream was accepted by a worker).
 */
public final class SseChannel {

  /** The keep-alive of a stream whose API has none of its own: an SSE comment line. */
  static final String KEEP_ALIVE_COMMENT = ": keep-alive\n\n";

  /** Past this many gathered bytes a write goes out at once instead of at the end of the burst. */
  private static final int GATHER_LIMIT = 16 * 1024;

  private final Vertx vertx;
  private final HttpServerResponse response;
  private final long keepAliveTimer;
  private final StringBuilder gathered = new StringBuilder();
  private boolean flushScheduled;
  private long lastWriteNanos = System.nanoTime();

  /** @param keepAlive what is written after {@code keepAliveMs} with nothing sent: whole SSE lines */
  SseChannel(Vertx vertx, HttpServerResponse response, long keepAliveMs, int writeQueueBytes, String keepAlive) {
    this.vertx = vertx;
    this.response = response;
    if (writeQueueBytes > 0) {
      response.setWriteQueueMaxSize(writeQueueBytes);
    }
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    // The head goes out now, when the worker has accepted the stream, not with the first token: a
    // client (or a proxy) knows at once that the request was taken and can time its first byte apart
    // from its first token.
    response.writeHead();
    long keepAliveNanos = keepAliveMs * 1_000_000L;
    this.keepAliveTimer = vertx.setPeriodic(Math.max(1, keepAliveMs / 2), id -> {
      // The time first: a stream that wrote lately (most, at 10,000 of them) costs no look at the response.
      if (System.nanoTime() - lastWriteNanos >= keepAliveNanos && !isClosed()) {
        write(keepAlive);
      }
    });
  }

  /**
   * Sends one event: {@code id:} (when not null), {@code event:} and one {@code data:} line, the
   * payload encoded straight into what the channel gathers.
   */
  public Future<Void> event(String event, String id, JsonObject payload) {
    if (isClosed()) {
      return gone();
    }
    appendEvent(gathered, event, id, payload);
    return gatheredMore();
  }

  /**
   * As {@link #event(String, String, JsonObject)}, with the payload encoded already (JSON as
   * {@link JsonObject#encode()} writes it: one line).
   */
  public Future<Void> event(String event, String id, String encodedPayload) {
    if (isClosed()) {
      return gone();
    }
    appendHead(gathered, event, id).append(encodedPayload).append("\n\n");
    return gatheredMore();
  }

  /**
   * Appends one SSE event as this channel writes it: {@code id:} when not null, {@code event:}, one
   * {@code data:} line (JSON from {@link JsonText} has no raw newline), a blank line. Returns {@code out}.
   */
  public static StringBuilder appendEvent(StringBuilder out, String event, String id, JsonObject payload) {
    return JsonText.append(appendHead(out, event, id), payload).append("\n\n");
  }

  private static StringBuilder appendHead(StringBuilder out, String event, String id) {
    if (id != null) {
      out.append("id: ").append(id).append('\n');
    }
    return out.append("event: ").append(event).append('\n').append("data: ");
  }

  /**
   * Text as the UTF-8 bytes a response writes, encoded once into the buffer that goes out. Text
   * with surrogates is encoded by the JDK, which writes a lone one as {@code ?} and goes on, where
   * Netty's encoder would also garble the character after it.
   */
  public static Buffer utf8(CharSequence text) {
    int length = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c)) {
        return Buffer.buffer(text.toString());
      }
      length += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
    // Exactly its length: Netty's writeUtf8 alone would first make room for 3 bytes a character.
    ByteBuf bytes = Unpooled.buffer(length, length);
    ByteBufUtil.reserveAndWriteUtf8(bytes, text, length);
    return BufferInternal.buffer(bytes);
  }

  /** True once the client closed the connection or the response ended. */
  public boolean isClosed() {
    return response.ended() || response.closed();
  }

  /** Sends one event that has only a data line, as OpenAI's streams do: the payload as one line of JSON. */
  public Future<Void> data(JsonObject payload) {
    if (isClosed()) {
      return gone();
    }
    JsonText.append(gathered.append("data: "), payload).append("\n\n");
    return gatheredMore();
  }

  /** As {@link #data(JsonObject)}, with text that holds no newline ({@code [DONE]}, say). */
  public Future<Void> data(String data) {
    if (isClosed()) {
      return gone();
    }
    gathered.append("data: ").append(data).append("\n\n");
    return gatheredMore();
  }

  /**
   * Events of one burst (the tokens of one TOKENS frame arrive together) are gathered and written
   * as one chunk when the burst is over: one syscall instead of one per token.
   */
  private Future<Void> write(String text) {
    if (isClosed()) {
      return gone();
    }
    gathered.append(text);
    return gatheredMore();
  }

  private static Future<Void> gone() {
    return Future.failedFuture("the client has gone");
  }

  /** What was just appended to {@link #gathered} goes out at the end of the burst, or now past the limit. */
  private Future<Void> gatheredMore() {
    lastWriteNanos = System.nanoTime();
    if (gathered.length() >= GATHER_LIMIT) {
      return flush();
    }
    if (!flushScheduled) {
      flushScheduled = true;
      vertx.getOrCreateContext().runOnContext(v -> flush());
    }
    return Future.succeededFuture();
  }

  private Future<Void> flush() {
    flushScheduled = false;
    if (gathered.isEmpty() || isClosed()) {
      gathered.setLength(0);
      return Future.succeededFuture();
    }
    boolean traced = dev.tokenbus.trace.FirstTokenTrace.ENABLED
        && (gathered.indexOf("event: token") >= 0 || gathered.indexOf("\"delta\":{\"content\"") >= 0);
    Buffer chunk = utf8(gathered);
    gathered.setLength(0);
    Future<Void> written = response.write(chunk);
    if (traced) {
      dev.tokenbus.trace.FirstTokenTrace.mark(dev.tokenbus.trace.FirstTokenTrace.Stage.SSE_WRITE);
    }
    return written;
  }

  /** True while the response cannot take more. */
  public boolean writeQueueFull() {
    return response.writeQueueFull();
  }

  /** Runs once when the response can take more again. */
  public void drainHandler(Handler<Void> handler) {
    response.drainHandler(handler);
  }

  /** Ends the response with what is gathered; stops the keep-alive. */
  public void close() {
    vertx.cancelTimer(keepAliveTimer);
    if (!isClosed()) {
      String rest = gathered.toString();
      gathered.setLength(0);
      response.end(rest);
    }
  }
}
