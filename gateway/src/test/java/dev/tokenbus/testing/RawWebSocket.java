package dev.tokenbus.testing;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a plain socket, for tests that need what a library client will not do:
 * frames with reserved bits or invalid UTF-8, garbage bytes, and leaving with a TCP reset.
 */
public final class RawWebSocket implements AutoCloseable {

  /** A frame from the server. */
  public record Frame(int opcode, byte[] payload) {
  public   String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

  public   JsonObject json() {
      return new JsonObject(text());
    }

    /** A close frame's status code, or -1. */
  public   int closeCode() {
      return opcode == 8 && payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
    }
  }

  public final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** The handshake's response headers, names in lower case. */
  public final java.util.Map<String, String> headers = new java.util.HashMap<>();

  /** Connects to {@code /v1/ws} and completes the handshake. */
  public static RawWebSocket connect(int port) throws IOException {
    return connect(port, "", 0);
  }

  /** As {@link #connect(int)}, with extra headers on the upgrade request (an API key). */
  public static RawWebSocket connect(int port, java.util.Map<String, String> extra) throws IOException {
    return connect(port, extra.entrySet().stream().map(h -> h.getKey() + ": " + h.getValue() + "\r\n")
        .reduce("", String::concat), 0);
  }

  /**
   * As {@link #connect(int)}, with extra handshake headers (each ending in CRLF) and, when above 0,
   * the socket's send and receive buffers set to {@code bufferBytes} before it connects.
   */
  public static RawWebSocket connect(int port, String extraHeaders, int bufferBytes) throws IOException {
    Socket s = new Socket();
    if (bufferBytes > 0) {
      s.setSendBufferSize(bufferBytes);
      s.setReceiveBufferSize(bufferBytes);
    }
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setSoTimeout(10_000);
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String request = "GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n"
        + extraHeaders + "\r\n";
    s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    RawWebSocket ws = new RawWebSocket(s);
    String status = ws.line();
    if (!status.startsWith("HTTP/1.1 101")) {
      s.close();
      throw new IOException("no upgrade: " + status);
    }
    for (String h; !(h = ws.line()).isEmpty(); ) {
      int colon = h.indexOf(':');
      ws.headers.put(h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), h.substring(colon + 1).trim());
    }
    return ws;
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new EOFException();
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  public void sendText(String text) throws IOException {
    send(0x80, 1, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Sends one masked frame.
   *
   * @param flags the first byte's high nibble: FIN {@code 0x80}, RSV1 {@code 0x40}, RSV2 {@code 0x20}, RSV3 {@code 0x10}
   */
  public void send(int flags, int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(flags | opcode);
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else if (payload.length < 65536) {
      f.write(0x80 | 126);
      f.write(payload.length >> 8);
      f.write(payload.length);
    } else {
      f.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        f.write((int) ((long) payload.length >> (8 * i)));
      }
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < payload.length; i++) {
      f.write(payload[i] ^ mask[i & 3]);
    }
    out.write(f.toByteArray());
    out.flush();
  }

  /** Raw bytes, no framing. */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** The next frame, or null when the connection ended. */
  public Frame next() throws IOException {
    int b0;
    try {
      b0 = in.read();
    } catch (java.net.SocketException e) {
      return null; // reset
    }
    if (b0 < 0) {
      return null;
    }
    int b1 = in.readUnsignedByte();
    long len = b1 & 0x7F;
    if (len == 126) {
      len = in.readUnsignedShort();
    } else if (len == 127) {
      len = in.readLong();
    }
    byte[] payload = new byte[(int) len];
    in.readFully(payload);
    return new Frame(b0 & 0x0F, payload);
  }

  /** The next text frame parsed as JSON, skipping others; null at a close frame or the end. */
  public JsonObject nextJson() throws IOException {
    Frame f;
    while ((f = next()) != null) {
      if (f.opcode() == 1) {
        return f.json();
      }
      if (f.opcode() == 8) {
        return null;
      }
    }
    return null;
  }

  /** Leaves with a TCP reset: SO_LINGER 0, then close. */
  public void reset() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
