/**
 * What gateways and workers exchange: the generation request and result records, the event-bus addresses,
 * token data, usage and timings. Contract: the request records check their fields on construction, so a bad
 * request is a {@link dev.tokenbus.protocol.RequestValidationException} naming the field where it is made.
 */
package dev.tokenbus.protocol;
