package dev.tokenbus.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a {@link Tokenbus} connects and how.
 *
 * @param gateways the gateways' base URLs ({@code http://host:port}, or {@code https://}; a path
 *     prefix is kept), tried in order: new connections go to the first that answers, and a stream
 *     that lost its connection resumes through any of them
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

  /** Checks the values; every URL must be absolute http(s). */
  public TokenbusOptions {
    if (gateways == null || gateways.isEmpty()) {
      throw new IllegalArgumentException("at least one gateway URL is needed");
    }
    List<URI> normalised = new ArrayList<>();
    for (URI u : gateways) {
      if (u == null || u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
        throw new IllegalArgumentException("a gateway URL must be http(s)://host[:port][/path], got " + u);
      }
      String path = u.getPath() == null || u.getPath().isEmpty() ? "/" : u.getPath();
      normalised.add(u.resolve(path.endsWith("/") ? path : path + "/"));
    }
    gateways = List.copyOf(normalised);
    if (transport == null) {
      throw new IllegalArgumentException("transport must be set");
    }
    if (connectTimeoutMs < 1 || reconnectTimeoutMs < 0 || maxConnections < 1 || maxStreamsPerSocket < 1) {
      throw new IllegalArgumentException("connectTimeoutMs, maxConnections and maxStreamsPerSocket must be positive,"
          + " reconnectTimeoutMs 0 or more");
    }
  }

  /**
   * Options for these gateway base URLs: no API key, WebSocket, 10 s to connect, 30 s to resume, 64
   * SSE connections per gateway, 64 generations per WebSocket.
   */
  public static TokenbusOptions of(String... gatewayUrls) {
    List<URI> uris = new ArrayList<>();
    for (String u : gatewayUrls) {
      uris.add(URI.create(u));
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
