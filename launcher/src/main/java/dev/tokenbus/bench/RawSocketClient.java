package dev.tokenbus.bench;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * HTTP/1.1 over a plain {@link Socket}, a new connection per request, with no library between the
 * benchmark and the kernel: either the whole request (head and body) in one write with
 * {@code TCP_NODELAY}, as a careful client sends it, or the head and then the body in two writes with
 * Nagle's algorithm left on, as Python's {@code http.client} (given a str body), Java's
 * {@code HttpURLConnection} and many others do.
 */
final class RawSocketClient implements FirstTokenClient {

  private static final int READ_BUFFER = 16 * 1024;
  /** How long a read may wait before the stream is failed (a stalled server, not a slow one). */
  private static final int READ_TIMEOUT_MS = 120_000;

  private final InetSocketAddress address;
  private final String path;
  private final SseLoad.Dialect dialect;
  private final boolean split;

  RawSocketClient(int port, SseLoad.Dialect dialect, boolean split) {
    this.address = new InetSocketAddress("127.0.0.1", port);
    this.path = dialect.path();
    this.dialect = dialect;
    this.split = split;
  }

  /** Whether the socket disables Nagle's algorithm: in the one-write style only. */
  boolean noDelay() {
    return !split;
  }

  /** The request as the socket is handed it: one write, or the head then the body. */
  List<byte[]> writes(String body) {
    byte[] content = body.getBytes(StandardCharsets.UTF_8);
    byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
        + "\r\nContent-Type: application/json\r\nContent-Length: " + content.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    if (split) {
      return List.of(head, content);
    }
    byte[] whole = new byte[head.length + content.length];
    System.arraycopy(head, 0, whole, 0, head.length);
    System.arraycopy(content, 0, whole, head.length, content.length);
    return List.of(whole);
  }

  @Override
  public SseLoad.Stream stream(String body) throws Exception {
    return stream(body, data -> { });
  }

  /**
   * Sends {@code body} and reads its stream to the end, handing each token event's data to
   * {@code onToken} as it arrives (see {@link SseReader}). Interrupting the reading thread (a
   * virtual one) closes the connection: the server cancels the stream.
   */
  SseLoad.Stream stream(String body, java.util.function.Consumer<String> onToken) throws Exception {
    List<byte[]> writes = writes(body);
    byte[] buffer = new byte[READ_BUFFER];
    long t0 = System.nanoTime();
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(noDelay());
      socket.setSoTimeout(READ_TIMEOUT_MS);
      socket.connect(address, 5_000);
      OutputStream out = socket.getOutputStream();
      for (byte[] w : writes) {
        out.write(w); // a socket's stream sends each write at once: no buffer between
      }
      SseReader sse = new SseReader(dialect, t0, onToken);
      HttpResponseReader response = new HttpResponseReader(sse);
      InputStream in = socket.getInputStream();
      int n;
      while (!response.complete() && (n = in.read(buffer)) >= 0) {
        response.accept(buffer, 0, n, System.nanoTime());
      }
      if (!response.headRead()) {
        throw new IllegalStateException("the connection closed before a response");
      }
      return response.stream(sse, t0, t0);
    }
  }
}
