/**
 * The native API: {@code POST /v1/generate} (SSE or one JSON object), resume and cancel by stream id,
 * the {@code /v1/ws} WebSocket (generations multiplexed, each with its own credit) and
 * {@code GET /v1/status}. {@link dev.tokenbus.gateway.api.generate.TokenJson} is its one encoding of
 * stream events, the same on SSE and WebSocket.
 */
package dev.tokenbus.gateway.api.generate;
