package dev.tokenbus.cli;

import dev.tokenbus.engine.Engine;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.ModelLoadException;
import dev.tokenbus.engine.SimulatedEngine;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import dev.tokenbus.engine.llama.FlashAttention;
import dev.tokenbus.engine.llama.Llama;
import dev.tokenbus.engine.llama.LlamaRelease;
import dev.tokenbus.engine.llama.LlamaReleases;
import dev.tokenbus.engine.llama.Pooling;
import dev.tokenbus.model.ModelFetcher;
import dev.tokenbus.model.ModelSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The engine's command-line options, shared by every command that runs a model. */
final class EngineOptions {

  @Option(names = "--model", paramLabel = "PATH|URL",
      description = "GGUF model file, or an http(s) URL downloaded once into $TOKENBUS_MODEL_CACHE (default "
          + "~/.cache/tokenbus/models), or 'demo' for the built-in generated model (its text is noise), or 'simulated' for an"
          + " engine without weights that produces made-up words at --sim-itl-ms per token (for scale tests), or 'bench-small' for a generated"
          + " benchmark model with a small real model's shape and cost per token (20 layers, hidden 512, F16, 63 M"
          + " parameters, random weights; written to the generated-model cache on first use). Default: "
          + "Qwen3-0.6B (Q8_0, about 640 MB; Qwen2.5-0.5B-Instruct on llama.cpp b4916), fetched once; offline, the"
          + " demo model.")
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

  @Option(names = "--prefix-cache", arity = "1", defaultValue = "true", paramLabel = "true|false",
      description = "Keep a finished sequence's KV cells in its slot so a later prompt sharing its prefix skips"
          + " that part of the prefill (default: ${DEFAULT-VALUE}).")
  boolean prefixCache;

  @Option(names = "--flash-attention", paramLabel = "auto|on|off", defaultValue = "auto",
      converter = FlashAttentionConverter.class,
      description = "Attention through llama.cpp's fused flash-attention kernel: auto = where the backend supports"
          + " it (llama.cpp's choice), on, or off. Off is faster on the CPU for models with very narrow attention"
          + " heads (docs/BENCHMARKS.md) (default: ${DEFAULT-VALUE}).")
  FlashAttention flashAttention;

  @Option(names = "--pooling", paramLabel = "mean|cls|last", converter = PoolingConverter.class,
      description = "How /v1/embeddings pools an input's hidden states into one vector: mean (their average),"
          + " cls (the first token's) or last (the last token's). Default: the model's own (its GGUF file's"
          + " <architecture>.pooling_type), else mean.")
  Pooling pooling;

  @Option(names = "--llama-library", paramLabel = "PATH",
      description = "A llama.cpp shared library (libllama of release v0.5.0, or a b4916 build) instead of the bundled one.")
  Path nativeLibrary;

  @Option(names = "--llama-profile", paramLabel = "auto|v0.5.0|b4916", defaultValue = "auto",
      converter = ProfileConverter.class,
      description = "The llama.cpp release to drive: v0.5.0 (bundled from npm), b4916 (the de.kherud:llama jar's),"
          + " or auto = v0.5.0, falling back to b4916 with a warning when it cannot be had (default: ${DEFAULT-VALUE}).")
  LlamaRelease llamaProfile;

  @Option(names = "--sim-itl-ms", paramLabel = "MS", defaultValue = "" + SimulatedEngine.Config.DEFAULT_ITL_MS,
      description = "With --model simulated: how long each decode step takes, i.e. the time between a stream's"
          + " tokens (default ${DEFAULT-VALUE}).")
  long simItlMs;

  @Option(names = "--sim-prefill-tps", paramLabel = "N", defaultValue = "" + SimulatedEngine.Config.DEFAULT_PREFILL_TPS,
      description = "With --model simulated: prompt tokens taken in per second (default ${DEFAULT-VALUE}).")
  int simPrefillTps;

  /** A value's own parser, whose {@link IllegalArgumentException} refuses it while the options are parsed. */
  private abstract static class Parsing<T> implements ITypeConverter<T> {
    abstract T parse(String value);

    @Override
    public final T convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** auto, on or off. */
  static final class FlashAttentionConverter extends Parsing<FlashAttention> {
    @Override
    FlashAttention parse(String value) {
      return FlashAttention.parse(value);
    }
  }

  /** mean, cls or last. */
  static final class PoolingConverter extends Parsing<Pooling> {
    @Override
    Pooling parse(String value) {
      return Pooling.parse(value);
    }
  }

  /**
   * {@code auto} is null; any other value must be one {@link LlamaReleases#parse} takes ({@code current}
   * or a registered release), else its message, built from the registry, names those allowed.
   */
  static final class ProfileConverter extends Parsing<LlamaRelease> {
    @Override
    LlamaRelease parse(String value) {
      return LlamaReleases.parse(value);
    }
  }

  /** {@code --model demo}: the built-in generated model, with no download. */
  static final String DEMO = "demo";

  private String servedName;

  /**
   * Checks the settings that need no download or model load, so that a bad one stops the node
   * before anything starts: ranges, and that a local model file (and library) is there. Throws an
   * {@link IllegalArgumentException} whose message begins with the key.
   */
  void validate() {
    if (slots < 1) {
      throw new IllegalArgumentException("slots must be 1 or more, got " + slots);
    }
    if (contextPerSequence < 0) {
      throw new IllegalArgumentException("ctx must be 0 (the model's) or more, got " + contextPerSequence);
    }
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be 0 (half the cores) or more, got " + threads);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be 1 or more, got " + batch);
    }
    if (gpuLayers < -1) {
      throw new IllegalArgumentException("gpu-layers must be -1 (all), 0 or more, got " + gpuLayers);
    }
    if (modelSha256 != null && !modelSha256.isBlank() && !modelSha256.strip().matches("(?i)[0-9a-f]{64}")) {
      throw new IllegalArgumentException("model-sha256 must be 64 hexadecimal digits, got '" + modelSha256 + "'");
    }
    if (model != null && !generated(model) && !model.matches("(?i)^https?://.*")) {
      Path file = Path.of(model);
      if (!java.nio.file.Files.isRegularFile(file)) {
        throw new IllegalArgumentException("model: no such file: " + file.toAbsolutePath());
      }
      if (!java.nio.file.Files.isReadable(file)) {
        throw new IllegalArgumentException("model: cannot read " + file.toAbsolutePath());
      }
    }
    if (simulated()) {
      simConfig(); // its own ranges
    }
    if (nativeLibrary != null && !java.nio.file.Files.isRegularFile(nativeLibrary)) {
      throw new IllegalArgumentException("llama-library: no such file: " + nativeLibrary.toAbsolutePath());
    }
  }

  /** Whether {@code --model simulated} asks for the engine without a model. */
  boolean simulated() {
    return SimulatedEngine.NAME.equals(model);
  }

  /** The simulated engine's settings (call when {@link #simulated()}). */
  SimulatedEngine.Config simConfig() {
    return new SimulatedEngine.Config(slots, contextPerSequence > 0 ? contextPerSequence
        : SimulatedEngine.Config.DEFAULT_CONTEXT, Math.max(batch, slots), simItlMs, simPrefillTps, prefixCache);
  }

  /**
   * Starts the engine these options describe: the simulated one, or llama.cpp with the model
   * fetched and loaded. One that cannot be had or loaded is an {@link IllegalStateException} with the reason.
   */
  Engine start() {
    if (simulated()) {
      servedName = "tokenbus-" + SimulatedEngine.NAME;
      return SimulatedEngine.start(simConfig());
    }
    EngineConfig config = toConfig();
    try {
      return LlamaEngine.start(config);
    } catch (ModelLoadException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * The engine settings, with the model file in place: downloaded first when {@code --model} is a
   * URL. Without {@code --model} the default model is fetched; when that is impossible (offline),
   * the generated demo model stands in, with a notice. A model that cannot be had is an
   * {@link IllegalStateException} with the reason.
   */
  EngineConfig toConfig() {
    Path file;
    if (DEMO.equals(model)) {
      file = demoModel();
    } else if (dev.tokenbus.engine.gguf.BenchModel.NAME.equals(model)) {
      file = benchModel();
    } else if (model == null) {
      file = defaultOrDemo();
    } else {
      file = fetch(ModelSource.parse(model, modelSha256));
      servedName = nameOf(model);
    }
    return new EngineConfig(file, slots, contextPerSequence, Math.max(batch, slots), Math.min(512, Math.max(batch, slots)),
        256, threads, gpuLayers, nativeLibrary, profile(), prefixCache, flashAttention, pooling);
  }

  /** The options beside model, threads and slots, as a worker process started by a benchmark takes them. */
  List<String> otherWorkerArgs() {
    List<String> args = new ArrayList<>(List.of("--ctx", Integer.toString(contextPerSequence), "--batch",
        Integer.toString(batch), "--gpu-layers", Integer.toString(gpuLayers), "--prefix-cache",
        Boolean.toString(prefixCache), "--flash-attention", flashAttention.value()));
    if (nativeLibrary != null) {
      args.addAll(List.of("--llama-library", nativeLibrary.toString()));
    }
    if (pooling != null) {
      args.addAll(List.of("--pooling", pooling.value()));
    }
    args.addAll(List.of("--llama-profile", llamaProfile == null ? "auto" : llamaProfile.name()));
    return args;
  }

  /** The configured profile (null = auto). */
  LlamaRelease profile() {
    return llamaProfile;
  }

  /** Benchmarks run on the demo model unless told otherwise: they must not start with a download. */
  void benchDefault() {
    if (model == null) {
      model = DEMO;
    }
  }

  /**
   * The name the model will be served under when none is configured, known before {@link #toConfig()}
   * fetches anything (a default model that cannot be fetched is served as the demo model instead).
   */
  String expectedServedName() {
    return generated(model) ? "tokenbus-" + model : nameOf(model == null ? LlamaReleases.current().defaultModelUrl() : model);
  }

  /** Whether {@code model} names one of the models the node generates itself rather than a file or URL. */
  private static boolean generated(String model) {
    return DEMO.equals(model) || dev.tokenbus.engine.gguf.BenchModel.NAME.equals(model)
        || SimulatedEngine.NAME.equals(model);
  }

  /** The name the model is served under when none is configured (call after {@link #toConfig()}). */
  String defaultServedName() {
    return servedName;
  }

  private Path defaultOrDemo() {
    String url = defaultModelUrl();
    try {
      Path file = ModelFetcher.builder().build().resolve(ModelSource.parse(url));
      servedName = nameOf(url);
      return file;
    } catch (IOException e) {
      org.slf4j.LoggerFactory.getLogger(EngineOptions.class).warn("the default model could not be fetched ({})",
          e.getMessage());
      return demoModel();
    }
  }

  /** What standalone and worker serve without --model: the default model of the llama.cpp release that opens. */
  private String defaultModelUrl() {
    try {
      return Llama.open(profile(), nativeLibrary).release().defaultModelUrl();
    } catch (RuntimeException e) {
      // the engine start reports why the library cannot be used
      return LlamaReleases.current().defaultModelUrl();
    }
  }

  /** A file's or URL's last name without .gguf. */
  private static String nameOf(String pathOrUrl) {
    String name = pathOrUrl.replaceFirst("[?#].*$", "");
    name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf(java.io.File.separatorChar)) + 1);
    return name.replaceFirst("(?i)\\.gguf$", "");
  }

  private static Path fetch(ModelSource source) {
    try {
      return ModelFetcher.builder().build().resolve(source);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private Path benchModel() {
    servedName = "tokenbus-" + dev.tokenbus.engine.gguf.BenchModel.NAME;
    try {
      return dev.tokenbus.engine.gguf.BenchModel.cached();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the benchmark model", e);
    }
  }

  private Path demoModel() {
    servedName = "tokenbus-demo";
    org.slf4j.LoggerFactory.getLogger(EngineOptions.class).warn(
        "serving the built-in generated demo model: it works end to end, but its weights are random, so its text"
            + " is noise. Give a real model with --model PATH|URL");
    try {
      return TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the demo model", e);
    }
  }
}
