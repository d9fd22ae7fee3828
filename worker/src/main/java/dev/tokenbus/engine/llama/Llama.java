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
 * release ({@link LlamaProfile}), with its logging routed to SLF4J. Entry point for loading models.
 *
 * <p>Which library: {@code llama-profile} {@code v0.5.0} is the build bundled from npm
 * {@code @node-llama-cpp/linux-x64} (the default), {@code b4916} the one inside the
 * {@code de.kherud:llama} jar; {@code auto} (null) takes v0.5.0 and falls back to b4916, with a
 * warning, when v0.5.0 cannot be had (not bundled, or it does not load on this system). An explicit
 * library file is used as the profile says, or as its exports say under {@code auto}. Both releases
 * can be open in one JVM (their symbols stay local to each library).
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
   *     libraries the system property {@value LlamaProfile#SYSTEM_PROPERTY} can set what auto means)
   * @param explicitLibrary a library file from configuration, or null for the bundled one
   * @throws LlamaException the library cannot be found, opened, or is not the release asked for
   */
  public static synchronized Llama open(LlamaProfile requested, Path explicitLibrary) {
    Path cache = NativeLibraryLocator.defaultCacheDir();
    if (explicitLibrary != null) {
      Path path;
      try {
        path = NativeLibraryLocator.locate(explicitLibrary, cache);
      } catch (IOException e) {
        throw new LlamaException("cannot prepare the llama.cpp library: " + e.getMessage(), e);
      }
      return open(path, requested != null ? requested : detect(path));
    }
    LlamaProfile profile = requested != null ? requested : LlamaProfile.fromSystemProperty();
    if (profile == LlamaProfile.B4916) {
      return open(b4916Library(cache), LlamaProfile.B4916);
    }
    try {
      return open(NativeLibraryLocator.locateCurrent(cache), LlamaProfile.CURRENT);
    } catch (IOException | LlamaException e) {
      if (profile == LlamaProfile.CURRENT) {
        throw e instanceof LlamaException le ? le
            : new LlamaException("llama.cpp v0.5.0 is not available: " + e.getMessage(), e);
      }
      LOG.warn("llama.cpp v0.5.0 cannot be used ({}); falling back to b4916 from the de.kherud:llama jar"
          + " (older: no qwen3, gemma3 or later architectures, one KV pool shared by all sequences)", e.getMessage());
      return open(b4916Library(cache), LlamaProfile.B4916);
    }
  }

  private static Path b4916Library(Path cache) {
    try {
      return NativeLibraryLocator.locate(null, cache);
    } catch (IOException e) {
      throw new LlamaException("cannot prepare the llama.cpp library: " + e.getMessage(), e);
    }
  }

  /** The release an explicitly configured library is, by what it exports. */
  private static LlamaProfile detect(Path path) {
    try {
      return LlamaApi.exports(path, "llama_get_memory") ? LlamaProfile.CURRENT : LlamaProfile.B4916;
    } catch (IllegalArgumentException | IllegalCallerException e) {
      throw cannotOpen(path, e);
    }
  }

  private static LlamaException cannotOpen(Path path, RuntimeException e) {
    return new LlamaException("cannot open " + path + ": " + e.getMessage()
        + " (the JVM needs --enable-native-access=ALL-UNNAMED, and the library needs libstdc++"
        + " (and libgomp for b4916))", e);
  }

  private static Llama open(Path path, LlamaProfile profile) {
    Llama existing = OPEN.get(path);
    if (existing != null) {
      if (existing.profile() != profile) {
        throw new LlamaException(path + " is already open as llama.cpp " + existing.profile() + ", not " + profile);
      }
      return existing;
    }
    LlamaApi api;
    try {
      api = new LlamaApi(path, profile);
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
    LOG.info("llama.cpp {} opened from {} (layout check passed; GPU offload {})", profile, path,
        gpu ? "available" : "not available in this build");
    Llama llama = new Llama(api);
    OPEN.put(path, llama);
    return llama;
  }

  /** The release this library is driven as. */
  public LlamaProfile profile() {
    return api.abi.profile();
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
