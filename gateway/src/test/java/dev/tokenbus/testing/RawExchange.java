package dev.tokenbus.testing;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One request written as raw bytes and its response read back whole, for tests of HTTP framing the
 * server must refuse: what a client library would never send.
 */
public record RawExchange(int status, Map<String, String> headers, String body, boolean closedAfter) {

  /** The body's {@code error} object, or null when the body is not the documented error envelope. */
  public JsonObject error() {
    try {
      JsonObject e = new JsonObject(body).getJsonObject("error");
      return e != null && e.getString("message") != null && e.getString("type") != null && e.containsKey("param")
          && e.containsKey("code") ? e : null;
    } catch (RuntimeException notJson) {
      return null;
    }
  }

  /**
   * Sends {@code request} and reads one response: status line, headers, then a
   * {@code Content-Length} body, a chunked body, or everything up to the close.
   *
   * @param timeoutMs how long any read may wait
   */
  public static RawExchange send(int port, byte[] request, int timeoutMs) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(timeoutMs);
      try {
        s.getOutputStream().write(request);
        s.getOutputStream().flush();
      } catch (SocketException e) {
        // the server may answer and close before it has read everything
      }
      InputStream in = s.getInputStream();
      String statusLine = line(in);
      if (statusLine == null) {
        return new RawExchange(-1, Map.of(), "", true);
      }
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new HashMap<>();
      String h;
      while ((h = line(in)) != null && !h.isEmpty()) {
        int colon = h.indexOf(':');
        headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      String body;
      if (headers.containsKey("content-length")) {
        body = new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))), StandardCharsets.UTF_8);
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int n; (n = Integer.parseInt(line(in).trim(), 16)) > 0; line(in)) {
          b.write(in.readNBytes(n));
        }
        body = b.toString(StandardCharsets.UTF_8);
      } else {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      boolean closed;
      try {
        closed = "close".equalsIgnoreCase(headers.get("connection")) && in.read() < 0;
      } catch (IOException e) {
        closed = true;
      }
      return new RawExchange(status, headers, body, closed);
    }
  }

  public static RawExchange send(int port, String request, int timeoutMs) throws IOException {
    return send(port, request.getBytes(StandardCharsets.ISO_8859_1), timeoutMs);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }
}
