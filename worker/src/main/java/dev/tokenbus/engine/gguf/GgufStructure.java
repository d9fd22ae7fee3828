package dev.tokenbus.engine.gguf;

import java.util.List;
import java.util.Map;

/**
 * Everything in a GGUF file before the tensor data.
 *
 * @param metadata      key-value pairs by key, in file order
 * @param tokens        {@code tokenizer.ggml.tokens} when it is an array of strings, each string holding the raw bytes
 *                      as ISO-8859-1 chars (byte-exact, so comparisons match llama.cpp's); otherwise null
 * @param tensorInfoEnd first byte after the tensor infos; the data section starts at the next aligned offset
 */
record GgufStructure(int version, Map<String, MetadataEntry> metadata, List<String> tokens, List<TensorInfo> tensors,
           long tensorInfoEnd) {

  MetadataEntry entry(String key) {
    return metadata.get(key);
  }

  /** A string value the reader decoded, or null when absent or not a string. */
  String string(String key) {
    MetadataEntry entry = metadata.get(key);
    return entry != null && entry.value() instanceof String text ? text : null;
  }
}
