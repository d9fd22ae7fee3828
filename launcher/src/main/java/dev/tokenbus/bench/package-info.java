/**
 * The benchmarks of {@code bin/tokenbus bench}: streaming, scale-out, prefix cache, KV handoff and llama-server
 * comparison, and the report they write to docs/BENCHMARKS.md; {@link dev.tokenbus.bench.LocalCluster} runs a
 * gateway and workers as child processes on loopback, for benchmarks and tests.
 */
package dev.tokenbus.bench;
