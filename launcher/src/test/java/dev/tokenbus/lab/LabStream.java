package dev.tokenbus.lab;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One SSE generation ({@code POST /v1/generate}) as a client on the lab's bridge sees it, over a
 * plain socket: every event with its id and arrival time, how it ended, and the longest silence.
 * A stream can be continued on another gateway ({@link #resume}) from the last event received.
 * Reads never block longer than the read timeout, so a hung stream ends the read as {@code hung}.
 * {@link #openAi} reads an OpenAI stream ({@code data:} chunks, {@code [DONE]}) into the same shape.
 */
public final class LabStream {

  /** One token event: its index (the SSE id), the token id and its text, when it arrived. */
  public record Token(int index, int tokenId, String text, long arrivalNanos) {}

  /** How the stream ended: {@code done} (with finish_reason), {@code error} (with type), or the transport's end. */
  public enum End { DONE, ERROR, CLOSED, HUNG, REFUSED }

  public final List<Token> tokens = new ArrayList<>();
  public End end;
  /** finish_reason of done, the error's type, the HTTP status line of a refusal, or what closed. */
  public String detail;
  public String streamId;
  public int status;
  /** The longest time between two events (or from the request to the first), in ms. */
  public double longestGapMs;
  /** Events whose index was not the next one expected: a gap or a repeat. */
  public final List<String> violations = new ArrayList<>();

  private long lastEventNanos;
  private boolean openAi;

  /** Opens a stream with {@code body} on {@code host:port} and reads it to its end. */
  public static LabStream run(String host, int port, JsonObject body, int readTimeoutMs) {
    LabStream s = new LabStream();
    s.read(host, port, "POST /v1/generate HTTP/1.1", body.encode(), null, readTimeoutMs);
    return s;
  }

  /**
   * Opens an OpenAI stream ({@code path} is {@code /v1/chat/completions} or {@code /v1/completions},
   * {@code body} has {@code stream: true}) and reads it to its end: each chunk with text is a token
   * (indexed in arrival order, token id -1); {@code done} once {@code [DONE]} follows a finish
   * reason (the detail), {@code error} on an error chunk (its type). A change of the chunks' {@code id}
   * and a {@code [DONE]} with neither a finish reason nor an error are violations.
   */
  public static LabStream openAi(String host, int port, String path, JsonObject body, int readTimeoutMs) {
    LabStream s = new LabStream();
    s.openAi = true;
    s.read(host, port, "POST " + path + " HTTP/1.1", body.encode(), null, readTimeoutMs);
    return s;
  }

  /** Continues this stream on {@code host:port} from the last token received, and reads it to its end. */
  public void resume(String host, int port, int readTimeoutMs) {
    String headers = "X-Tokenbus-Stream-Id: " + streamId + "\r\n"
        + (tokens.isEmpty() ? "" : "Last-Event-ID: " + tokens.get(tokens.size() - 1).index() + "\r\n");
    end = null;
    detail = null;
    read(host, port, "POST /v1/generate HTTP/1.1", "", headers, readTimeoutMs);
  }

  /** The text of every token received, in order. */
  public String text() {
    StringBuilder b = new StringBuilder();
    tokens.forEach(t -> b.append(t.text()));
    return b.toString();
  }

  public List<Integer> tokenIds() {
    return tokens.stream().map(Token::tokenId).toList();
  }

  private void read(String host, int port, String requestLine, String body, String extraHeaders, int readTimeoutMs) {
    long sent = System.nanoTime();
    lastEventNanos = sent;
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(host, port), readTimeoutMs);
      socket.setSoTimeout(readTimeoutMs);
      byte[] payload = body.getBytes(StandardCharsets.UTF_8);
      String head = requestLine + "\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
          + "Accept: text/event-stream\r\nContent-Length: " + payload.length + "\r\n"
          + (extraHeaders == null ? "" : extraHeaders) + "Connection: close\r\n\r\n";
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(payload);
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      String statusLine = in.readLine();
      if (statusLine == null) {
        end = End.CLOSED;
        detail = "closed before a status line";
        return;
      }
      status = Integer.parseInt(statusLine.split(" ")[1]);
      String line;
      while ((line = in.readLine()) != null && !line.isEmpty()) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("x-tokenbus-stream-id")) {
          streamId = line.substring(colon + 1).trim();
        }
      }
      if (status != 200) {
        StringBuilder b = new StringBuilder();
        while ((line = in.readLine()) != null) {
          b.append(line);
        }
        end = End.REFUSED;
        detail = status + " " + b;
        return;
      }
      if (openAi) {
        readChunks(in);
      } else {
        readEvents(in);
      }
    } catch (SocketTimeoutException e) {
      end = End.HUNG;
      detail = "no byte for " + readTimeoutMs + " ms";
    } catch (IOException | RuntimeException e) {
      if (end == null) {
        end = End.CLOSED;
        detail = e.toString();
      }
    }
  }

  private void readEvents(BufferedReader in) throws IOException {
    String id = null;
    String event = null;
    StringBuilder data = new StringBuilder();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith(":")) {
        continue; // keep-alive comments are no events
      }
      if (!line.isEmpty()) {
        if (line.startsWith("id:")) {
          id = line.substring(3).trim();
        } else if (line.startsWith("event:")) {
          event = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).trim());
        }
        continue;
      }
      if (event == null && data.isEmpty()) {
        continue;
      }
      long now = System.nanoTime();
      longestGapMs = Math.max(longestGapMs, (now - lastEventNanos) / 1e6);
      lastEventNanos = now;
      JsonObject json = data.isEmpty() ? new JsonObject() : new JsonObject(data.toString());
      if ("token".equals(event)) {
        int index = json.getInteger("index");
        int expected = tokens.size();
        if (index != expected) {
          violations.add("token index " + index + " where " + expected + " was next");
        }
        if (id != null && !id.equals(Integer.toString(index))) {
          violations.add("event id " + id + " on token " + index);
        }
        if (index >= expected) {
          tokens.add(new Token(index, json.getInteger("token_id", -1), json.getString("text", ""), now));
        }
      } else if ("done".equals(event)) {
        end = End.DONE;
        detail = json.getString("finish_reason");
        return;
      } else if ("error".equals(event)) {
        end = End.ERROR;
        detail = json.getString("type", json.encode());
        return;
      }
      id = null;
      event = null;
      data.setLength(0);
    }
    end = End.CLOSED;
    detail = "the connection closed without done or error";
  }

  private void readChunks(BufferedReader in) throws IOException {
    String chunkId = null;
    String finish = null;
    String line;
    while ((line = in.readLine()) != null) {
      if (!line.startsWith("data:")) {
        continue; // blank separators and keep-alive comments
      }
      String data = line.substring(5).trim();
      long now = System.nanoTime();
      longestGapMs = Math.max(longestGapMs, (now - lastEventNanos) / 1e6);
      lastEventNanos = now;
      if (data.equals("[DONE]")) {
        if (end == End.ERROR) {
          return;
        }
        end = finish != null ? End.DONE : End.CLOSED;
        detail = finish != null ? finish : "[DONE] with neither a finish reason nor an error";
        return;
      }
      JsonObject json = new JsonObject(data);
      if (json.containsKey("error")) {
        JsonObject error = json.getJsonObject("error");
        end = End.ERROR;
        detail = error.getString("type", error.encode());
        continue; // [DONE] follows
      }
      if (chunkId == null) {
        chunkId = json.getString("id");
      } else if (!chunkId.equals(json.getString("id"))) {
        violations.add("chunk id " + json.getString("id") + " after " + chunkId);
      }
      if (json.getJsonArray("choices").isEmpty()) {
        continue; // the usage chunk
      }
      JsonObject choice = json.getJsonArray("choices").getJsonObject(0);
      JsonObject delta = choice.getJsonObject("delta");
      String text = delta != null ? delta.getString("content") : choice.getString("text");
      if (text != null && !text.isEmpty()) {
        if (finish != null) {
          violations.add("text after finish reason " + finish);
        }
        tokens.add(new Token(tokens.size(), -1, text, now));
      }
      if (choice.getString("finish_reason") != null) {
        finish = choice.getString("finish_reason");
      }
    }
    if (end == End.ERROR) {
      violations.add("no [DONE] after the error chunk");
      return;
    }
    end = End.CLOSED;
    detail = "the connection closed without [DONE]";
  }

  @Override
  public String toString() {
    return "stream " + streamId + ": " + tokens.size() + " tokens, " + end + " (" + detail + "), longest gap "
        + String.format(Locale.ROOT, "%.0f ms", longestGapMs) + (violations.isEmpty() ? "" : ", violations " + violations);
  }
}
