package dev.tokenbus.engine.gguf;

/**
 * What {@link GgufValidator} learned about a model file from its header and metadata.
 *
 * @param version         GGUF version (2 or 3)
 * @param architecture    {@code general.architecture}, e.g. "llama"
 * @param name            {@code general.name}, or null
 * @param contextLength   {@code <arch>.context_length}, 0 when absent
 * @param blockCount      {@code <arch>.block_count}, 0 when absent
 * @param embeddingLength {@code <arch>.embedding_length}, 0 when absent
 * @param vocabSize       entries of {@code tokenizer.ggml.tokens}, 0 when absent
 * @param chatTemplate    {@code tokenizer.chat_template}, or null
 * @param tensorCount     tensors in the file
 * @param fileSize        bytes
 */
public record GgufInfo(int version, String architecture, String name, int contextLength, int blockCount,
            int embeddingLength, int vocabSize, String chatTemplate, long tensorCount, long fileSize) {
}
