package dev.tokenbus.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a {@link Tokenbus} connects and how.
 *
 * @param gateways the gateways' base URLs ({@code http://host:port}, or {@code https://}; a path
 *     prefix is kept; a last {@code /v1}, as OpenAI's clients take it, is the API's own and left
 *     out), tried in order: new connections go to the first that answers, and a stream that lost
 *     its connection resumes through any of them
 * @param apiKey sent as {@code Authorization: Bearer <key>}; null for gateways without {@code api-keys}
 * @param transport WebSocket (the default) or SSE
 * @param connectTimeoutMs how long a connection attempt may take
 * @param reconnectTimeoutMs SSE only: how long a stream whose connection dropped keeps trying to
 *     resume through the gateways before it fails with a {@link ConnectionException}; 0 never resumes
 * @param maxConnections SSE only: open connections per gateway, hence concurrent SSE streams
 * @param maxStreamsPerSocket WebSocket only: generations one socket carries before another is opened;
 *     at most the gateway's own limit (64 by default)
 */
public record TokenbusOptions(List<URI> gateways, String apiKey, Transport transport, long connectTimeoutMs,
    long reconnectTimeoutMs, int maxConnections, int maxStreamsPerSocket) {

  /**
   * Checks the values (an {@link InvalidRequestException} names the one at fault); every URL must be
   * absolute http(s).
   */
  public TokenbusOptions {
    check(gateways != null && !gateways.isEmpty(), "gateways", "at least one gateway URL is needed");
    List<URI> normalised = new ArrayList<>();
    for (URI u : gateways) {
      check(u != null && u.getHost() != null && ("http".equals(u.getScheme()) || "https".equals(u.getScheme())),
          "gateways", "a gateway URL must be http(s)://host[:port][/path], got " + u);
      normalised.add(base(u));
    }
    gateways = List.copyOf(normalised);
    check(transport != null, "transport", "transport must be set");
    check(connectTimeoutMs >= 1, "connectTimeoutMs", "connectTimeoutMs must be positive, got " + connectTimeoutMs);
    check(reconnectTimeoutMs >= 0, "reconnectTimeoutMs", "reconnectTimeoutMs must be 0 or more, got "
        + reconnectTimeoutMs);
    check(maxConnections >= 1, "maxConnections", "maxConnections must be positive, got " + maxConnections);
    check(maxStreamsPerSocket >= 1, "maxStreamsPerSocket", "maxStreamsPerSocket must be positive, got "
        + maxStreamsPerSocket);
  }

  /** The URL routes resolve against: its path ends with {@code /}, without the API's own {@code v1/}. */
  private static URI base(URI u) {
    String path = u.getPath() == null || u.getPath().isEmpty() ? "/" : u.getPath();
    if (!path.endsWith("/")) {
      path += "/";
    }
    if (path.endsWith("/v1/")) {
      path = path.substring(0, path.length() - "v1/".length());
    }
    return u.resolve(path);
  }

  private static void check(boolean ok, String option, String message) {
    if (!ok) {
      throw Errors.invalid(option, message);
    }
  }

  /**
   * Options for these gateway base URLs: no API key, WebSocket, 10 s to connect, 30 s to resume, 64
   * SSE connections per gateway, 64 generations per WebSocket.
   */
  public static TokenbusOptions of(String... gatewayUrls) {
    List<URI> uris = new ArrayList<>();
    for (String u : gatewayUrls) {
      try {
        uris.add(URI.create(u));
      } catch (IllegalArgumentException | NullPointerException e) {
        throw Errors.invalid("gateways", "not a URL: " + u + " (" + e.getMessage() + ")", e);
      }
    }
    return new TokenbusOptions(uris, null, Transport.WEBSOCKET, 10_000, 30_000, 64, 64);
  }

  /** With this API key. */
  public TokenbusOptions withApiKey(String key) {
    return new TokenbusOptions(gateways, key, transport, connectTimeoutMs, reconnectTimeoutMs, maxConnections,
        maxStreamsPerSocket);
  }

  /** With this transport. */
  public TokenbusOptions withTransport(Transport t) {
    return new TokenbusOptions(gateways, apiKey, t, connectTimeoutMs, reconnectTimeoutMs, maxConnections,
        maxStreamsPerSocket);
  }

  /** With this connect timeout. */
  public TokenbusOptions withConnectTimeoutMs(long v) {
    return new TokenbusOptions(gateways, apiKey, transport, v, reconnectTimeoutMs, maxConnections,
        maxStreamsPerSocket);
  }

  /** With this reconnect window (SSE). */
  public TokenbusOptions withReconnectTimeoutMs(long v) {
    return new TokenbusOptions(gateways, apiKey, transport, connectTimeoutMs, v, maxConnections,
        maxStreamsPerSocket);
  }

  /** With this many SSE connections per gateway. */
  public TokenbusOptions withMaxConnections(int v) {
    return new TokenbusOptions(gateways, apiKey, transport, connectTimeoutMs, reconnectTimeoutMs, v,
        maxStreamsPerSocket);
  }

  /** With this many generations per WebSocket. */
  public TokenbusOptions withMaxStreamsPerSocket(int v) {
    return new TokenbusOptions(gateways, apiKey, transport, connectTimeoutMs, reconnectTimeoutMs, maxConnections, v);
  }

  /** The API key is not shown. */
  @Override
  public String toString() {
    return "TokenbusOptions[gateways=" + gateways + ", apiKey=" + (apiKey == null ? "none" : "***") + ", transport="
        + transport + ", connectTimeoutMs=" + connectTimeoutMs + ", reconnectTimeoutMs=" + reconnectTimeoutMs
        + ", maxConnections=" + maxConnections + ", maxStreamsPerSocket=" + maxStreamsPerSocket + "]";
  }
}
