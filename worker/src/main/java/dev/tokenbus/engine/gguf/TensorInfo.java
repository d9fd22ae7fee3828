package dev.tokenbus.engine.gguf;

/**
 * A tensor info entry: name, shape (GGUF order), ggml type id, and offset relative to the data section.
 *
 * @param elements product of the dimensions (checked not to overflow)
 */
record TensorInfo(String name, long[] dims, int typeId, long offset, long elements) {
}
