/**
 * HTTP connections before any API sees them: malformed requests answered, not dropped
 * ({@link dev.tokenbus.gateway.transport.ProtocolErrors}), connection timeouts
 * ({@link dev.tokenbus.gateway.transport.ConnectionTimeouts}), WebSocket handshakes and frames held
 * to RFC 6455 ({@link dev.tokenbus.gateway.transport.StrictWebSocketFrames}).
 */
package dev.tokenbus.gateway.transport;
