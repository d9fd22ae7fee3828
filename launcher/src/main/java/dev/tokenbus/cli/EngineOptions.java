package dev.tokenbus.cli;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The engine's command-line options, shared by every command that runs a model. */
final class EngineOptions {

  @Option(names = "--model", paramLabel = "PATH",
      description = "GGUF model file. Default: the built-in generated demo model (random weights: its output is noise).")
  Path model;

  @Option(names = "--slots", defaultValue = "4", description = "Sequences decoded together (default: ${DEFAULT-VALUE}).")
  int slots;

  @Option(names = "--ctx", defaultValue = "0", paramLabel = "TOKENS",
      description = "Context per sequence, prompt included; 0 = the model's, at most 4096 (default: ${DEFAULT-VALUE}).")
  int contextPerSequence;

  @Option(names = "--threads", defaultValue = "0", description = "Decode threads; 0 = half the cores (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--batch", defaultValue = "512", description = "Most tokens per decode step (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--gpu-layers", defaultValue = "0", description = "Layers offloaded to the GPU; -1 = all (default: ${DEFAULT-VALUE}).")
  int gpuLayers;

  @Option(names = "--llama-library", paramLabel = "PATH",
      description = "A libllama/libjllama built from llama.cpp b4916, instead of the one in the de.kherud:llama jar.")
  Path nativeLibrary;

  EngineConfig toConfig() {
    Path file = model;
    if (file == null) {
      org.slf4j.LoggerFactory.getLogger(EngineOptions.class).warn(
          "no --model given: serving the built-in generated demo model (random weights: its output is noise)");
      try {
        file = TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the demo model", e);
      }
    }
    return new EngineConfig(file, slots, contextPerSequence, Math.max(batch, slots), Math.min(512, Math.max(batch, slots)),
        256, threads, gpuLayers, nativeLibrary);
  }
}
