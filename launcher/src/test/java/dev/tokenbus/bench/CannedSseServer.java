package dev.tokenbus.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback HTTP server for the client tests: it reads each request (head, then a body of its
 * {@code Content-Length}), keeps it, and answers with a fixed response written in the given pieces,
 * each flushed on its own (TCP_NODELAY), then closes the connection.
 */
final class CannedSseServer implements AutoCloseable {

  private final ServerSocket socket;
  private final List<byte[]> pieces;
  private final Thread thread;
  /** Each request as read, head and body. */
  final List<String> requests = new CopyOnWriteArrayList<>();

  CannedSseServer(List<byte[]> pieces) throws IOException {
    this.socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    this.pieces = pieces;
    this.thread = Thread.ofPlatform().daemon().name("canned-sse-server").start(this::serve);
  }

  /** {@code response} cut at each of {@code cuts} (offsets, ascending). */
  static List<byte[]> cut(String response, int... cuts) {
    byte[] all = response.getBytes(StandardCharsets.UTF_8);
    List<byte[]> pieces = new java.util.ArrayList<>();
    int from = 0;
    for (int c : cuts) {
      pieces.add(java.util.Arrays.copyOfRange(all, from, c));
      from = c;
    }
    pieces.add(java.util.Arrays.copyOfRange(all, from, all.length));
    return pieces;
  }

  int port() {
    return socket.getLocalPort();
  }

  private void serve() {
    while (!socket.isClosed()) {
      try (Socket s = socket.accept()) {
        s.setTcpNoDelay(true);
        requests.add(readRequest(s.getInputStream()));
        OutputStream out = s.getOutputStream();
        for (byte[] p : pieces) {
          out.write(p);
          out.flush();
        }
      } catch (IOException e) {
        // closed: the test is over
      }
    }
  }

  private static String readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the request ended in its head");
      }
      head.write(b);
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : text.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).strip());
      }
    }
    return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws Exception {
    socket.close();
    thread.join(5_000);
  }
}
