/**
 * A gateway node: {@link dev.tokenbus.gateway.GatewayVerticle} (the HTTP server, its one route
 * table and graceful shutdown) and {@link dev.tokenbus.gateway.GatewayOptions}. The package rule,
 * enforced by {@code PackageRuleTest}: this package → {@code api} → {@code transport} →
 * {@code serve} → {@code dispatch} → {@code dev.tokenbus.protocol}, read as "may use"; {@code json},
 * {@code grammar} and {@code toolcall} are leaves any layer may use and that use none of them.
 */
package dev.tokenbus.gateway;
