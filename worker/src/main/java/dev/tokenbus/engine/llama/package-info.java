/**
 * The only code that knows llama.cpp's C API, called through {@code java.lang.foreign}:
 * {@link dev.tokenbus.engine.llama.Llama} opens a release's library ({@link dev.tokenbus.engine.llama.LlamaReleases}),
 * whose {@code LlamaAbi} holds what differs between releases, and the typed wrappers ({@code NativeModel},
 * {@code NativeContext}, {@code NativeBatch}, {@code NativeSampler}) are all the rest of the engine sees. Contract:
 * a library of another release is refused with a {@link dev.tokenbus.engine.llama.LlamaException}, never used.
 */
package dev.tokenbus.engine.llama;
