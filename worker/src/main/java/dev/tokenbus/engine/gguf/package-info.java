/**
 * GGUF files: {@link dev.tokenbus.engine.gguf.GgufValidator} checks a file in Java before llama.cpp may
 * abort the process on it, and {@link dev.tokenbus.engine.gguf.TinyLlamaModel} writes the generated test and demo
 * models. Contract: a file the validator passes reaches llama.cpp's loader without killing the JVM.
 */
package dev.tokenbus.engine.gguf;
