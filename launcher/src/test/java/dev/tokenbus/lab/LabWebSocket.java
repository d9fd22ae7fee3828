package dev.tokenbus.lab;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One generation over {@code GET /v1/ws} as a client on the lab's bridge sees it, read into a
 * {@link LabStream}: a socket of its own, one {@code generate} frame, every frame of that id to
 * its {@code done} or {@code error}. An error frame with a {@code status} (a refusal) ends it as
 * {@code refused}; the socket closing first as {@code closed}; no frame within the read timeout
 * as {@code hung}. Token indexes out of sequence are violations, as on SSE.
 */
public final class LabWebSocket {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String CLOSED = "\u0000closed";

  private LabWebSocket() {}

  /** Runs {@code body} as generation {@code "g"} on {@code host:port}'s WebSocket and reads it to its end. */
  public static LabStream run(String host, int port, JsonObject body, int readTimeoutMs) {
    LabStream s = new LabStream();
    BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    WebSocket ws;
    long last = System.nanoTime();
    try {
      ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofMillis(readTimeoutMs))
          .buildAsync(URI.create("ws://" + host + ":" + port + "/v1/ws"), new Collector(frames))
          .get(readTimeoutMs, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      s.end = LabStream.End.REFUSED;
      s.detail = "no WebSocket: " + e;
      return s;
    }
    try {
      s.status = 101;
      ws.sendText(body.copy().put("type", "generate").put("id", "g").encode(), true);
      while (true) {
        String frame = frames.poll(readTimeoutMs, TimeUnit.MILLISECONDS);
        long now = System.nanoTime();
        if (frame == null) {
          s.end = LabStream.End.HUNG;
          s.detail = "no frame for " + readTimeoutMs + " ms";
          return s;
        }
        if (frame.startsWith(CLOSED)) {
          s.end = LabStream.End.CLOSED;
          s.detail = "the socket closed without done or error:" + frame.substring(CLOSED.length());
          return s;
        }
        s.longestGapMs = Math.max(s.longestGapMs, (now - last) / 1e6);
        last = now;
        JsonObject json = new JsonObject(frame);
        switch (json.getString("type")) {
          case "token" -> {
            int index = json.getInteger("index");
            int expected = s.tokens.size();
            if (index != expected) {
              s.violations.add("token index " + index + " where " + expected + " was next");
            }
            if (index >= expected) {
              s.tokens.add(new LabStream.Token(index, json.getInteger("token_id", -1), json.getString("text", ""), now));
            }
          }
          case "done" -> {
            s.end = LabStream.End.DONE;
            s.detail = json.getString("finish_reason");
            return s;
          }
          case "error" -> {
            JsonObject error = json.getJsonObject("error", new JsonObject());
            s.end = json.containsKey("status") ? LabStream.End.REFUSED : LabStream.End.ERROR;
            s.detail = json.containsKey("status")
                ? json.getInteger("status") + " " + new JsonObject().put("error", error).encode()
                : error.getString("type", error.encode());
            return s;
          }
          default -> s.violations.add("unexpected frame " + frame);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      s.end = LabStream.End.CLOSED;
      s.detail = "interrupted";
      return s;
    } finally {
      ws.abort();
    }
  }

  /** Puts each whole text message on the queue, and a marker when the socket ends. */
  private record Collector(BlockingQueue<String> frames, StringBuilder partial) implements WebSocket.Listener {

    Collector(BlockingQueue<String> frames) {
      this(frames, new StringBuilder());
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        frames.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      frames.add(CLOSED + " " + status + " " + reason);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      frames.add(CLOSED + " " + error);
    }
  }
}
