package dev.tokenbus.cli;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import dev.tokenbus.model.ModelFetcher;
import dev.tokenbus.model.ModelSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The engine's command-line options, shared by every command that runs a model. */
final class EngineOptions {

  @Option(names = "--model", paramLabel = "PATH|URL",
      description = "GGUF model file, or an http(s) URL downloaded once into $TOKENBUS_MODEL_CACHE (default "
          + "~/.cache/tokenbus/models). Default: the built-in generated demo model (random weights: its output is noise).")
  String model;

  @Option(names = "--model-sha256", paramLabel = "HEX", description = "Expected SHA-256 of the model file; a file or download that differs is refused.")
  String modelSha256;

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

  /**
   * The engine settings, with the model file in place: downloaded first when {@code --model} is a
   * URL. A model that cannot be had is an {@link IllegalStateException} with the reason.
   */
  EngineConfig toConfig() {
    Path file = model == null ? demoModel() : fetchModel();
    return new EngineConfig(file, slots, contextPerSequence, Math.max(batch, slots), Math.min(512, Math.max(batch, slots)),
        256, threads, gpuLayers, nativeLibrary);
  }

  /** The name the model is served under when none is configured: the file's (or the URL's) name without .gguf. */
  String defaultServedName() {
    if (model == null) {
      return "tokenbus-demo";
    }
    String name = model.replaceFirst("[?#].*$", "");
    name = name.substring(name.lastIndexOf('/') + 1);
    return name.replaceFirst("(?i)\\.gguf$", "");
  }

  /** The --model file, downloaded first when it is a URL. */
  private Path fetchModel() {
    try {
      return ModelFetcher.builder().build().resolve(ModelSource.parse(model, modelSha256));
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static Path demoModel() {
    org.slf4j.LoggerFactory.getLogger(EngineOptions.class).warn(
        "no --model given: serving the built-in generated demo model (random weights: its output is noise)");
    try {
      return TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the demo model", e);
    }
  }
}
