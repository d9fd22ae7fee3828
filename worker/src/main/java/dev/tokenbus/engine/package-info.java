/**
 * The engine: one model, one llama.cpp context and one decode thread
 * ({@link dev.tokenbus.engine.LlamaEngine}, {@link dev.tokenbus.engine.DecodeLoop}) serving concurrent
 * generations with continuous batching; sampling, grammars, chat templates. Contract: a model's context is driven by
 * its decode thread alone; callers submit and cancel from any thread.
 */
package dev.tokenbus.engine;
