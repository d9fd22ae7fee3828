/**
 * The product's Prometheus metrics ({@link dev.tokenbus.metrics.TokenbusMetrics}), under vLLM's names where
 * they mean the same.
 */
package dev.tokenbus.metrics;
