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
 * close}, the response read to the connection's end: for readiness polls and the training run's
 * requests, which need any method and the whole response. Streams are timed by {@link RawSocketClient}.
 */
public final class OneWriteRequest {

  /**
   * What came back.
   *
   * @param status the HTTP status, or -1 when the connection closed before a status line
   * @param response the whole response, head and body as sent (chunk sizes included)
   */
  public record Result(int status, String response) {}

  private OneWriteRequest() {}

  /**
   * Sends {@code method path} with {@code body} (null: none) to {@code 127.0.0.1:port}.
   */
  public static Result send(int port, String method, String path, String body) throws IOException {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n"
        + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + content.length + "\r\n") + "\r\n";
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
    request.writeBytes(content);
    byte[] whole = request.toByteArray();
    ByteArrayOutputStream response = new ByteArrayOutputStream();
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
        response.write(buffer, 0, n);
      }
    }
    String text = response.toString(StandardCharsets.UTF_8);
    return new Result(status(text), text);
  }

  private static int status(String response) {
    // "HTTP/1.1 200 OK"
    if (!response.startsWith("HTTP/1.") || response.length() < 12) {
      return -1;
    }
    return Integer.parseInt(response.substring(9, 12));
  }
}
