package dev.tokenbus.gateway;

import dev.tokenbus.gateway.api.ReasoningParameters;
import dev.tokenbus.gateway.transport.ConnectionTimeouts;
import java.util.Set;

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
 * @param apiKeys the keys a {@code /v1} request must present as {@code Authorization: Bearer};
 *     empty: none is asked for
 * @param timeouts how long a connection may stay idle, or take to send a request's headers or body
 * @param adminKeys the keys the operators' {@code /v1/admin} routes need as {@code Authorization: Bearer}
 *     (never the tenants' API keys); empty: those routes are off
 * @param reasoning where chat answers put a thinking model's reasoning, and its default budget
 */
public record GatewayOptions(String host, int port, int bodyLimitBytes, long keepAliveMs, int sendBufferBytes,
    int writeQueueBytes, int maxStreamsPerSocket, long drainTimeoutMs, Set<String> apiKeys, ConnectionTimeouts.Limits timeouts,
    Set<String> adminKeys, ReasoningParameters.Defaults reasoning) {

  public GatewayOptions {
    reasoning = reasoning == null ? ReasoningParameters.Defaults.standard() : reasoning;
    apiKeys = apiKeys == null ? Set.of() : Set.copyOf(apiKeys);
    timeouts = timeouts == null ? ConnectionTimeouts.Limits.defaults() : timeouts;
    adminKeys = adminKeys == null ? Set.of() : Set.copyOf(adminKeys);
  }

  /** Options without admin keys: the {@code /v1/admin} routes are off. */
  public GatewayOptions(String host, int port, int bodyLimitBytes, long keepAliveMs, int sendBufferBytes,
      int writeQueueBytes, int maxStreamsPerSocket, long drainTimeoutMs, Set<String> apiKeys,
      ConnectionTimeouts.Limits timeouts) {
    this(host, port, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes, maxStreamsPerSocket, drainTimeoutMs,
        apiKeys, timeouts, Set.of(), ReasoningParameters.Defaults.standard());
  }

  /** The keys that open the {@code /v1/admin} routes (none: those routes are off). */
  public GatewayOptions withAdminKeys(Set<String> v) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes,
        maxStreamsPerSocket, drainTimeoutMs, apiKeys, timeouts, v, reasoning);
  }



  public static GatewayOptions defaults() {
    return new GatewayOptions("127.0.0.1", 8080, 1024 * 1024, 5000, 0, 0, 64, 30_000, Set.of(),
        ConnectionTimeouts.Limits.defaults());
  }

  public GatewayOptions withDrainTimeoutMs(long v) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes,
        maxStreamsPerSocket, v, apiKeys, timeouts, adminKeys, reasoning);
  }

  /** Small socket and response buffers, so that a slow client pauses its stream after a few KiB. */
  public GatewayOptions withSmallBuffers(int bytes) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, bytes, bytes, maxStreamsPerSocket,
        drainTimeoutMs, apiKeys, timeouts, adminKeys, reasoning);
  }

  public GatewayOptions withPort(int v) {
    return new GatewayOptions(host, v, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes,
        maxStreamsPerSocket, drainTimeoutMs, apiKeys, timeouts, adminKeys, reasoning);
  }

  public GatewayOptions withHost(String v) {
    return new GatewayOptions(v, port, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes,
        maxStreamsPerSocket, drainTimeoutMs, apiKeys, timeouts, adminKeys, reasoning);
  }

  public GatewayOptions withSendBufferBytes(int v) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, v, writeQueueBytes, maxStreamsPerSocket,
        drainTimeoutMs, apiKeys, timeouts, adminKeys, reasoning);
  }

  public GatewayOptions withKeepAliveMs(long v) {
    return new GatewayOptions(host, port, bodyLimitBytes, v, sendBufferBytes, writeQueueBytes, maxStreamsPerSocket,
        drainTimeoutMs, apiKeys, timeouts, adminKeys, reasoning);
  }

  public GatewayOptions withBodyLimitBytes(int v) {
    return new GatewayOptions(host, port, v, keepAliveMs, sendBufferBytes, writeQueueBytes, maxStreamsPerSocket,
        drainTimeoutMs, apiKeys, timeouts, adminKeys, reasoning);
  }

  public GatewayOptions withApiKeys(Set<String> v) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes,
        maxStreamsPerSocket, drainTimeoutMs, v, timeouts, adminKeys, reasoning);
  }

  public GatewayOptions withMaxStreamsPerSocket(int v) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes, v,
        drainTimeoutMs, apiKeys, timeouts, adminKeys, reasoning);
  }

  /** Where chat answers put the reasoning, and the thinking budget of a request that gives none. */
  public GatewayOptions withReasoning(ReasoningParameters.Defaults v) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes,
        maxStreamsPerSocket, drainTimeoutMs, apiKeys, timeouts, adminKeys, v);
  }

  public GatewayOptions withTimeouts(ConnectionTimeouts.Limits v) {
    return new GatewayOptions(host, port, bodyLimitBytes, keepAliveMs, sendBufferBytes, writeQueueBytes,
        maxStreamsPerSocket, drainTimeoutMs, apiKeys, v, adminKeys, reasoning);
  }
}
