/**
 * From a validated request to a relayed stream, the same for every API:
 * {@link dev.tokenbus.gateway.serve.Generations} opens a generation through the dispatcher (waiting
 * in its queue if need be) and answers a refusal ({@link dev.tokenbus.gateway.serve.ApiError});
 * {@link dev.tokenbus.gateway.serve.StreamRelay} pipes its tokens into the API's
 * {@link dev.tokenbus.gateway.serve.EventChannel} as typed
 * {@link dev.tokenbus.gateway.serve.StreamEvent}s, pausing the stream while the client's
 * transport is full and cancelling (or parking) it the moment the client lets go
 * ({@link dev.tokenbus.gateway.serve.ClientLink}). {@link dev.tokenbus.gateway.serve.SseChannel}
 * is the SSE transport the APIs share.
 */
package dev.tokenbus.gateway.serve;
