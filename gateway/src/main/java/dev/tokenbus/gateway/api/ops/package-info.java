/** {@code /health}, {@code /ready} and {@code /metrics}: mounted on every node, worker or gateway. */
package dev.tokenbus.gateway.api.ops;
