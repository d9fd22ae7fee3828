package dev.tokenbus.http;

/**
 * How a gateway listens.
 *
 * @param host the address to bind; loopback unless configured
 * @param port the HTTP port; 0 picks a free one
 * @param bodyLimitBytes larger request bodies get 413
 * @param keepAliveMs an SSE stream with nothing to send for this long gets a comment line, so that
 *     proxies and clients keep it open during a long prompt
 * @param sendBufferBytes the TCP send buffer per connection; 0 keeps the OS default. Small values
 *     make backpressure reach the worker sooner
 * @param writeQueueBytes bytes a response may buffer before it counts as full (pausing its stream);
 *     0 keeps Vert.x's default (64 KiB)
 * @param maxStreamsPerSocket concurrent generations one WebSocket may run
 * @param drainTimeoutMs at shutdown, how long open streams may run on before they are ended
 */
public record GatewayOptions(String host, int port, int bodyLimitBytes, long keepAliveMs, int sendBufferBytes,
    int writeQueueBytes, int maxStreamsPerSocket, long drainTimeoutMs) {

  public static GatewayOptions defaults() {
    return new GatewayOptions("127.0.0.1", 8080, 1024 * 1024, 5000, 0, 0, 64, 30_000);
  }

  public GatewayOptions withDrainTimeoutMs(long v) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes,
        maxStreamsPerSocket, v);
  }

  /** Small socket and response buffers, so that a slow client pauses its stream after a few KiB. */
  public GatewayOptions withSmallBuffers(int bytes) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, bytes, bytes, maxStreamsPerSocket,
        drainTimeoutMs);
  }

  public GatewayOptions withPort(int v) {
    return new GatewayOptions(host, v, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes, maxStreamsPerSocket, drainTimeoutMs);
  }

  public GatewayOptions withHost(String v) {
    return new GatewayOptions(v, port, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes, maxStreamsPerSocket, drainTimeoutMs);
  }

  public GatewayOptions withSendBufferBytes(int v) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, v, writeQueueBytes, maxStreamsPerSocket, drainTimeoutMs);
  }

  public GatewayOptions withKeepAliveMs(long v) {
    return new GatewayOptions(host, port, bodyLimitBytes, v, sendBufferBytes, writeQueueBytes, maxStreamsPerSocket, drainTimeoutMs);
  }

  public GatewayOptions withBodyLimitBytes(int v) {
    return new GatewayOptions(host, port, v, keepAliveMs, sendBufferBytes, writeQueueBytes, maxStreamsPerSocket, drainTimeoutMs);
  }
}
