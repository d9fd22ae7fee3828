package dev.tokenbus.gateway.transport;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Base64;

/**
 * Checks an upgrade request against RFC 6455 before Vert.x sees it, so that a bad handshake gets
 * the JSON error object (Vert.x would answer a bare 400 or 426).
 */
public final class WebSocketHandshakes {

  private WebSocketHandshakes() {}

  /**
   * What is wrong with {@code request} as a WebSocket handshake, or null when nothing is;
   * {@code "Sec-WebSocket-Version"} when only the version is (the answer is then 426).
   */
  public static String problem(HttpServerRequest request) {
    if (request.method() != HttpMethod.GET) {
      return "the handshake must be a GET";
    }
    if (!"websocket".equalsIgnoreCase(String.valueOf(request.getHeader("Upgrade")).strip())) {
      return "send Upgrade: websocket";
    }
    String connection = String.valueOf(request.getHeader("Connection")).toLowerCase(java.util.Locale.ROOT);
    if (java.util.Arrays.stream(connection.split(",")).noneMatch(t -> t.strip().equals("upgrade"))) {
      return "send Connection: Upgrade";
    }
    String key = request.getHeader("Sec-WebSocket-Key");
    if (key == null || !validKey(key.strip())) {
      return "Sec-WebSocket-Key must be 16 bytes in base64";
    }
    if (!"13".equals(String.valueOf(request.getHeader("Sec-WebSocket-Version")).strip())) {
      return "Sec-WebSocket-Version";
    }
    return null;
  }

  private static boolean validKey(String key) {
    try {
      return Base64.getDecoder().decode(key).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
