package dev.tokenbus.engine.gguf;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A generated model with the shape and cost per token of a small real one, for benchmarks: a
 * llama architecture of 20 layers, hidden size 512, 8 heads (4 KV heads), feed-forward 1536, F16
 * matrices, about 63 M parameters (126 MB). Its weights are random (seeded), so its text is noise
 * and its speed is a real model's of that size; stories260K measures overhead only. The vocabulary
 * is {@link TinyLlamaModel}'s, so the output layer is smaller than a real model's. Written to the
 * generated-model cache on first use ({@link TinyLlamaModel#cached}), never shipped.
 */
public final class BenchModel {

  /** What {@code --model} takes for it. */
  public static final String NAME = "bench-small";

  private static final TinyLlamaModel.Spec SMALL = TinyLlamaModel.Spec.defaults().withLayers(20).withEmbd(512)
      .withHeads(8, 4).withFf(1536).withF16Matrices(true).withName("tokenbus-" + NAME);

  private BenchModel() {}

  /** Its shape. */
  public static TinyLlamaModel.Spec small() {
    return SMALL;
  }

  /** The parameters of a model of {@code spec}'s shape: embeddings, output, and every layer's matrices and norms. */
  public static long parameters(TinyLlamaModel.Spec spec) {
    long embd = spec.embd();
    long kvWidth = (long) spec.kvHeads() * spec.headDim();
    long perLayer = 2 * embd * embd + 2 * embd * kvWidth + 3 * embd * spec.ff() + 2 * embd;
    return 2 * embd * TinyLlamaModel.VOCAB_SIZE + embd + spec.layers() * perLayer;
  }

  /** The file, written on first use into the generated-model cache and reused after (about 2 s to write). */
  public static Path cached() throws IOException {
    return TinyLlamaModel.cached(SMALL);
  }
}
