package dev.tokenbus.engine;

import java.nio.file.Path;

/**
 * What a worker serves.
 *
 * @param contextPerSequence KV cells one generation may use: prompt plus generated tokens
 */
public record ModelInfo(Path file, String description, int vocabSize, int contextTrain, int contextPerSequence,
    long sizeBytes, long parameterCount, String chatTemplate) {}
