/**
 * The engine benchmark ({@link dev.tokenbus.engine.bench.EngineBenchmark}): tokens/s of the full loop
 * next to a decode-only loop over the same tokens.
 */
package dev.tokenbus.engine.bench;
