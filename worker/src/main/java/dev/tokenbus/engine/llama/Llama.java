package dev.tokenbus.engine.llama;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opened llama.cpp library: located, opened once per JVM, checked against build b4916,
 * with its logging routed to SLF4J. Entry point for loading models.
 */
public final class Llama {

  private static final Logger LOG = LoggerFactory.getLogger(Llama.class);
  private static Llama instance;

  final LlamaApi api;

  private Llama(LlamaApi api) {
    this.api = api;
  }

  /**
   * Opens the library (once per JVM; later calls return the same instance).
   *
   * @param explicitLibrary a library file from configuration, or null for the one in the de.kherud:llama jar
   */
  public static synchronized Llama open(Path explicitLibrary) {
    if (instance != null) {
      return instance;
    }
    Path path;
    try {
      path = NativeLibraryLocator.locate(explicitLibrary, NativeLibraryLocator.defaultCacheDir());
    } catch (IOException e) {
      throw new LlamaException("cannot prepare the llama.cpp library: " + e.getMessage(), e);
    }
    LlamaApi api;
    try {
      api = new LlamaApi(path);
    } catch (IllegalArgumentException | IllegalCallerException e) {
      throw new LlamaException("cannot open " + path + ": " + e.getMessage()
          + " (the JVM needs --enable-native-access=ALL-UNNAMED, and the library needs libgomp and libstdc++)", e);
    }
    api.verifyDefaults();
    try {
      api.logSet.invokeExact(LlamaLog.upcallStub(api), MemorySegment.NULL);
      api.backendInit.invokeExact();
      if (LOG.isDebugEnabled()) {
        LOG.debug("llama.cpp system info: {}", LlamaApi.cString((MemorySegment) api.printSystemInfo.invokeExact()));
      }
    } catch (Throwable t) {
      throw new LlamaException("cannot initialise llama.cpp: " + t, t);
    }
    boolean gpu;
    try {
      gpu = (boolean) api.supportsGpuOffload.invokeExact();
    } catch (Throwable t) {
      throw new LlamaException("llama_supports_gpu_offload failed: " + t, t);
    }
    LOG.info("llama.cpp library {} opened (b4916 layout check passed; GPU offload {})", path,
        gpu ? "available" : "not available in this build");
    instance = new Llama(api);
    return instance;
  }

  /** Loads a model; see {@link NativeModel#load}. */
  public NativeModel loadModel(Path file, int gpuLayers) {
    return NativeModel.load(api, file, gpuLayers);
  }
}
