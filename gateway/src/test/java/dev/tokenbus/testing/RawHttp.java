package dev.tokenbus.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/1.1 client on a plain socket, for tests that need control a library client does not
 * give: a small receive buffer, reading at a chosen pace, and closing the connection mid-stream.
 */
public final class RawHttp implements AutoCloseable {

  private final Socket socket;
  public final BufferedReader in;
  public int status;
  /** Response headers, names in lower case. */
  public final java.util.Map<String, String> headers = new java.util.HashMap<>();

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8), 256);
  }

  /**
   * Sends a POST and reads the status line and headers.
   *
   * @param receiveBuffer the socket's receive buffer in bytes, or 0 for the default
   */
  public static RawHttp post(int port, String path, String json, int receiveBuffer) throws IOException {
    return post(port, path, json, receiveBuffer, java.util.Map.of());
  }

  /** As {@link #post(int, String, String, int)}, with extra request headers. */
  public static RawHttp post(int port, String path, String json, int receiveBuffer, java.util.Map<String, String> extra)
      throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setSoTimeout(30_000);
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    OutputStream out = s.getOutputStream();
    StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    extra.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    RawHttp h = new RawHttp(s);
    String statusLine = h.in.readLine();
    h.status = Integer.parseInt(statusLine.split(" ")[1]);
    String line;
    while ((line = h.in.readLine()) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        h.headers.put(line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), line.substring(colon + 1).trim());
      }
    }
    return h;
  }

  /** A body of {@code Content-Length} bytes (ASCII), as JSON. */
  public io.vertx.core.json.JsonObject json() throws IOException {
    char[] body = new char[Integer.parseInt(headers.get("content-length"))];
    int got = 0;
    while (got < body.length) {
      int r = in.read(body, got, body.length - got);
      if (r < 0) {
        break;
      }
      got += r;
    }
    return new io.vertx.core.json.JsonObject(new String(body, 0, got));
  }

  /** The body as SSE events. Chunked transfer encoding is undone line by line: chunk sizes are skipped. */
  public Sse sse() {
    return new Sse(new BufferedReader(new java.io.Reader() {
      private String pending = "";
      private int pos;

      @Override
      public int read(char[] buf, int off, int len) throws IOException {
        while (pos >= pending.length()) {
          String size = in.readLine();
          if (size == null) {
            return -1;
          }
          if (size.isEmpty()) {
            continue;
          }
          int n = Integer.parseInt(size.strip(), 16);
          if (n == 0) {
            return -1;
          }
          char[] chunk = new char[n];
          int got = 0;
          while (got < n) {
            int r = in.read(chunk, got, n - got);
            if (r < 0) {
              return -1;
            }
            got += r;
          }
          pending = new String(chunk);
          pos = 0;
        }
        int k = Math.min(len, pending.length() - pos);
        pending.getChars(pos, pos + k, buf, off);
        pos += k;
        return k;
      }

      @Override
      public void close() {}
    }, 64));
  }

  /** The connection, e.g. to leave with a reset (SO_LINGER 0). */
  public Socket socket() {
    return socket;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
