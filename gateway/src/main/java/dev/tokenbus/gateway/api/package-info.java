/**
 * The APIs: each parses and validates its requests into a {@link dev.tokenbus.protocol.GenerationRequest}
 * and encodes the {@link dev.tokenbus.gateway.serve.StreamEvent}s of its generations. This package
 * holds what they share: API keys ({@link dev.tokenbus.gateway.api.ApiKeys}), the sampling
 * parameters every route reads ({@link dev.tokenbus.gateway.api.GenerateParameters}), chat messages
 * and structured output ({@code grammar}, {@code json_schema}, {@code response_format}). The
 * sub-packages (one per API) do not use each other.
 */
package dev.tokenbus.gateway.api;
