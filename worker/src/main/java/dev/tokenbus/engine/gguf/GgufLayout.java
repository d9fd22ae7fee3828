package dev.tokenbus.engine.gguf;

/**
 * Where the sections of a file written by {@link GgufWriter} start. Tests cut or patch files at these offsets.
 *
 * @param metadataStart   first byte of the first key-value pair (right after the 24-byte header)
 * @param tensorInfoStart first byte of the first tensor info
 * @param dataStart       first byte of the tensor data (aligned)
 * @param fileSize        total bytes written
 */
public record GgufLayout(long metadataStart, long tensorInfoStart, long dataStart, long fileSize) {
}
