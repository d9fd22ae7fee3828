package dev.tokenbus.engine.llama;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * One llama.cpp release that tokenbus drives: its name (the {@code llama-profile} value), where its
 * bundled library comes from, its ABI, the export that recognises a library of it, and the model that
 * standalone and worker serve on it without {@code --model}. Each ABI class declares its release as
 * {@code RELEASE}; {@link LlamaReleases} registers them in fallback order.
 */
public final class LlamaRelease {

  /** Finds a release's bundled library, copying it out of the class path into a cache directory where needed. */
  @FunctionalInterface
  interface BundledLibrary {
    /** The library's path; an {@link IOException} when this build does not carry it or it cannot be written. */
    Path locate(Path cacheDir) throws IOException;
  }

  private final String name;
  private final String origin;
  private final Function<LlamaApi, LlamaAbi> abi;
  private final BundledLibrary library;
  private final String recognisingExport;
  private final String defaultModelUrl;

  /**
   * @param name the release's name, which is its {@code llama-profile} value (such as {@code v0.5.0})
   * @param origin where its bundled library comes from and what it lacks, for logs and messages
   * @param abi binds the release's ABI to an opened library
   * @param library finds the bundled library
   * @param recognisingExport a function this release exports and no older registered one does
   * @param defaultModelUrl the model served without {@code --model}: one this release can run
   */
  LlamaRelease(String name, String origin, Function<LlamaApi, LlamaAbi> abi, BundledLibrary library,
      String recognisingExport, String defaultModelUrl) {
    this.name = name;
    this.origin = origin;
    this.abi = abi;
    this.library = library;
    this.recognisingExport = recognisingExport;
    this.defaultModelUrl = defaultModelUrl;
  }

  /** The release's name, which is also its {@code llama-profile} value. */
  public String name() {
    return name;
  }

  /** Where the bundled library comes from (and what the release lacks, for an older one). */
  public String origin() {
    return origin;
  }

  /** An http(s) URL of the GGUF model that standalone and worker serve on this release without {@code --model}. */
  public String defaultModelUrl() {
    return defaultModelUrl;
  }

  LlamaAbi bind(LlamaApi api) {
    return abi.apply(api);
  }

  Path bundledLibrary(Path cacheDir) throws IOException {
    return library.locate(cacheDir);
  }

  String recognisingExport() {
    return recognisingExport;
  }

  @Override
  public String toString() {
    return name;
  }
}
