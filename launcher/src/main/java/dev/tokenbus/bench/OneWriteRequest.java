package dev.tokenbus.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 request on a new loopback connection with no library between the caller and the
 * kernel: {@code TCP_NODELAY}, the whole request (head and body) in one write, {@code Connection:
 * close}, the response read to the connection's end. It reports the status, the whole response and
 * when the first byte of {@code marker} arrived (a route's first token event), so that a server's
 * first requests after its start are timed by a client that adds nothing of its own.
 */
public final class OneWriteRequest {

  /**
   * What came back.
   *
   * @param status the HTTP status, or -1 when the connection closed before a status line
   * @param markerNanos from just before the connection was opened to the read that completed the
   *     first {@code marker}; -1 when it never came
   * @param response the whole response, head and body as sent (chunk sizes included)
   */
  public record Result(int status, long markerNanos, String response) {}

  private OneWriteRequest() {}

  /**
   * Sends {@code method path} with {@code body} (null: none) to {@code 127.0.0.1:port}.
   *
   * @param marker text whose arrival is timed, or null
   */
  public static Result send(int port, String method, String path, String body, String marker) throws IOException {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n"
        + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + content.length + "\r\n") + "\r\n";
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
    request.writeBytes(content);
    byte[] whole = request.toByteArray();
    byte[] markerBytes = marker == null ? null : marker.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream response = new ByteArrayOutputStream();
    long markerNanos = -1;
    long t0 = System.nanoTime();
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      out.write(whole); // a socket's stream hands each write to the kernel at once
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[16 * 1024];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        int searchFrom = Math.max(0, response.size() - (markerBytes == null ? 0 : markerBytes.length));
        response.write(buffer, 0, n);
        if (markerBytes != null && markerNanos < 0 && indexOf(response.toByteArray(), markerBytes, searchFrom) >= 0) {
          markerNanos = System.nanoTime() - t0;
        }
      }
    }
    String text = response.toString(StandardCharsets.UTF_8);
    return new Result(status(text), markerNanos, text);
  }

  private static int status(String response) {
    // "HTTP/1.1 200 OK"
    if (!response.startsWith("HTTP/1.") || response.length() < 12) {
      return -1;
    }
    return Integer.parseInt(response.substring(9, 12));
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
