package dev.tokenbus.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * N streams that read their first token event and then stop reading, so they stay open and idle.
 * Plain sockets with no read buffer, so that the client side adds next to nothing to the heap of a
 * node measured in the same JVM.
 */
final class IdleStreams implements AutoCloseable {

  private final List<Socket> sockets = new ArrayList<>();

  static IdleStreams open(int port, int n, String body) throws IOException {
    IdleStreams streams = new IdleStreams();
    try {
      for (int i = 0; i < n; i++) {
        streams.sockets.add(openOne(port, body));
      }
    } catch (IOException e) {
      streams.close();
      throw e;
    }
    return streams;
  }

  private static Socket openOne(int port, String body) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    OutputStream out = s.getOutputStream();
    out.write(("POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(b);
    out.flush();
    String seen = readUntil(s.getInputStream(), "event: token\n");
    if (!seen.startsWith("HTTP/1.1 200")) {
      s.close();
      throw new IOException("stream refused: " + seen.lines().findFirst().orElse(""));
    }
    return s;
  }

  /** Reads byte by byte up to the marker (or the end), returning what it read. */
  private static String readUntil(InputStream in, String marker) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      sb.append((char) c);
      if (sb.length() >= marker.length() && sb.lastIndexOf(marker) == sb.length() - marker.length()) {
        break;
      }
    }
    return sb.toString();
  }

  @Override
  public void close() {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing is all that is left to do
      }
    }
    sockets.clear();
  }
}
