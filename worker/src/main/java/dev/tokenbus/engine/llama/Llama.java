package dev.tokenbus.engine.llama;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opened llama.cpp library: located, opened once per JVM and library, checked against its
 * release ({@link LlamaRelease}), with its logging routed to SLF4J. Entry point for loading models.
 *
 * <p>Which library: a release named by {@code llama-profile} is opened from its bundled library (see
 * {@link LlamaReleases}: v0.5.0 from npm {@code @node-llama-cpp/linux-x64}, b4916 from the
 * {@code de.kherud:llama} jar); {@code auto} (null) tries the releases in {@link LlamaReleases#ALL}'s
 * order and falls back to the next, with a warning, when one cannot be had (not bundled, or it does
 * not load on this system). An explicit library file is used as the profile says, or as its exports
 * say under {@code auto}. Several releases can be open in one JVM (their symbols stay local to each
 * library).
 */
public final class Llama {

  private static final Logger LOG = LoggerFactory.getLogger(Llama.class);
  private static final Map<Path, Llama> OPEN = new HashMap<>();

  final LlamaApi api;

  private Llama(LlamaApi api) {
    this.api = api;
  }

  /**
   * Opens the library (once per JVM and file; later calls return the same instance).
   *
   * @param requested the release to drive, or null for auto (see the class comment; for the bundled
   *     libraries the system property {@value LlamaReleases#SYSTEM_PROPERTY} can set what auto means)
   * @param explicitLibrary a library file from configuration, or null for the bundled one
   * @throws LlamaException the library cannot be found, opened, or is not the release asked for
   */
  public static synchronized Llama open(LlamaRelease requested, Path explicitLibrary) {
    if (explicitLibrary != null) {
      Path path;
      try {
        path = NativeLibraryLocator.explicit(explicitLibrary);
      } catch (IOException e) {
        throw new LlamaException("cannot prepare the llama.cpp library: " + e.getMessage(), e);
      }
      return open(path, requested != null ? requested : recognise(path));
    }
    Path cache = NativeLibraryLocator.defaultCacheDir();
    LlamaRelease release = requested != null ? requested : LlamaReleases.fromSystemProperty();
    if (release != null) {
      return openBundled(release, cache);
    }
    LlamaRelease failedRelease = null;
    LlamaException failed = null;
    for (LlamaRelease candidate : LlamaReleases.ALL) {
      if (failed != null) {
        LOG.warn("llama.cpp {} cannot be used ({}); falling back to {}", failedRelease, failed.getMessage(),
            candidate.origin());
      }
      try {
        return openBundled(candidate, cache);
      } catch (LlamaException e) {
        failedRelease = candidate;
        failed = e;
      }
    }
    throw failed;
  }

  private static Llama openBundled(LlamaRelease release, Path cache) {
    Path path;
    try {
      path = release.bundledLibrary(cache);
    } catch (IOException e) {
      throw new LlamaException("llama.cpp " + release + " is not available: " + e.getMessage(), e);
    }
    return open(path, release);
  }

  /** The release an explicitly configured library is, by what it exports. */
  private static LlamaRelease recognise(Path path) {
    try {
      return LlamaReleases.recognise(path);
    } catch (IllegalArgumentException | IllegalCallerException e) {
      throw cannotOpen(path, e);
    }
  }

  private static LlamaException cannotOpen(Path path, RuntimeException e) {
    return new LlamaException("cannot open " + path + ": " + e.getMessage()
        + " (the JVM needs --enable-native-access=ALL-UNNAMED, and the library needs libstdc++"
        + " (and libgomp for b4916))", e);
  }

  private static Llama open(Path path, LlamaRelease release) {
    Llama existing = OPEN.get(path);
    if (existing != null) {
      if (existing.release() != release) {
        throw new LlamaException(path + " is already open as llama.cpp " + existing.release() + ", not " + release);
      }
      return existing;
    }
    LlamaApi api;
    try {
      api = new LlamaApi(path, release);
    } catch (IllegalArgumentException | IllegalCallerException e) {
      throw cannotOpen(path, e);
    }
    api.abi.verifyDefaults();
    try {
      api.logSet.invokeExact(LlamaLog.upcallStub(api), MemorySegment.NULL);
      api.backendInit.invokeExact();
    } catch (Throwable t) {
      throw new LlamaException("cannot initialise llama.cpp: " + t, t);
    }
    api.abi.loadBackends();
    boolean gpu;
    try {
      if (LOG.isDebugEnabled()) {
        LOG.debug("llama.cpp system info: {}", LlamaApi.cString((MemorySegment) api.printSystemInfo.invokeExact()));
      }
      gpu = (boolean) api.supportsGpuOffload.invokeExact();
    } catch (Throwable t) {
      throw new LlamaException("llama_supports_gpu_offload failed: " + t, t);
    }
    LOG.info("llama.cpp {} opened from {} (layout check passed; GPU offload {})", release, path,
        gpu ? "available" : "not available in this build");
    Llama llama = new Llama(api);
    OPEN.put(path, llama);
    return llama;
  }

  /** The release this library is driven as. */
  public LlamaRelease release() {
    return api.abi.release();
  }

  /** The library file. */
  public Path library() {
    return api.libraryPath;
  }

  /**
   * Whether this release implements a GGUF {@code general.architecture}. Check before
   * {@link #loadModel}: a release may load a file of an architecture it only half knows and crash later.
   */
  public boolean knowsArchitecture(String architecture) {
    return api.abi.knowsArchitecture(architecture);
  }

  /** Loads a model; see {@link NativeModel#load}. */
  public NativeModel loadModel(Path file, int gpuLayers) {
    return NativeModel.load(api, file, gpuLayers);
  }
}
