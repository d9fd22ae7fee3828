package dev.tokenbus.engine.llama;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Finds llama.cpp's shared libraries and copies them out of the class path into a cache directory
 * keyed by their content, so restarts reuse the same files and two versions never overwrite each other.
 * Each {@link LlamaRelease} names the locator of its bundled library:
 * <ul>
 *   <li>{@link #locateNpmLibraries} (v0.5.0): the libraries the build took from the pinned npm package
 *       (see worker/pom.xml) and put under {@value #NPM_ROOT}, listed in its {@code index.txt}.
 *   <li>{@link #locateJarLibrary} (b4916): the {@code libjllama.so} inside the {@code de.kherud:llama}
 *       jar (CPU build, or CUDA with the {@code cuda} Maven profile). Only the resource is read: no
 *       de.kherud class is loaded.
 * </ul>
 */
public final class NativeLibraryLocator {

  private static final String RESOURCE_ROOT = "de/kherud/llama/";
  /** Where the build puts the v0.5.0 libraries (worker/pom.xml), with an {@code index.txt}. */
  static final String NPM_ROOT = "dev/tokenbus/llama/native/";

  private NativeLibraryLocator() {}

  /** A library file from configuration ({@code llama-library}), checked to be there. */
  public static Path explicit(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("llama.cpp library " + file + " does not exist or is not a file");
    }
    return file;
  }

  /**
   * The {@code libjllama.so} of the {@code de.kherud:llama} jar, copied out of the class path into
   * {@code cacheDir/<sha>/} once.
   */
  public static Path locateJarLibrary(Path cacheDir) throws IOException {
    String resource = RESOURCE_ROOT + platformFolder() + "/libjllama.so";
    URL url = NativeLibraryLocator.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IOException("no llama.cpp library for this platform on the class path (looked for "
          + resource + "). The de.kherud:llama jar for this platform or classifier does not ship one;"
          + " set llama-library to a libjllama.so/libllama.so built from llama.cpp b4916.");
    }
    byte[] bytes;
    String hash;
    try (InputStream in = new DigestInputStream(url.openStream(), MessageDigest.getInstance("SHA-256"))) {
      bytes = in.readAllBytes();
      hash = HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path dir = cacheDir.resolve(hash);
    Path target = dir.resolve("libjllama.so");
    copyOut(bytes, dir, target);
    return target;
  }

  /**
   * The bundled v0.5.0 libraries, copied out of the class path into {@code cacheDir/<package>-<sha>/}
   * once (a later start only compares sizes), and the path of {@code libllama} there.
   *
   * @throws IOException the build bundled none (it could not download them), or they cannot be written
   */
  public static Path locateNpmLibraries(Path cacheDir) throws IOException {
    ClassLoader loader = NativeLibraryLocator.class.getClassLoader();
    URL indexUrl = loader.getResource(NPM_ROOT + "index.txt");
    if (indexUrl == null) {
      throw new IOException("this build carries no llama.cpp v0.5.0 libraries (" + NPM_ROOT
          + "index.txt is not on the class path: the build could not download them)");
    }
    List<String> lines;
    try (InputStream in = indexUrl.openStream()) {
      lines = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
          .map(String::strip).filter(l -> !l.isEmpty()).toList();
    }
    // First line: "<package>@<version> <sha256 of its tarball>"; then one library file name per line.
    String[] head = lines.isEmpty() ? new String[0] : lines.getFirst().split("\\s+");
    if (head.length != 2 || lines.size() < 2) {
      throw new IOException(NPM_ROOT + "index.txt is malformed");
    }
    String key = head[0].replaceAll("[^A-Za-z0-9._-]", "_") + "-" + head[1].substring(0, Math.min(16, head[1].length()));
    Path dir = cacheDir.resolve(key);
    Path llama = null;
    for (String name : lines.subList(1, lines.size())) {
      if (name.contains("/") || name.startsWith(".")) {
        throw new IOException(NPM_ROOT + "index.txt names a bad file: " + name);
      }
      URL url = loader.getResource(NPM_ROOT + name);
      if (url == null) {
        throw new IOException(NPM_ROOT + name + " is listed but not on the class path");
      }
      Path target = dir.resolve(name);
      long length = url.openConnection().getContentLengthLong();
      if (length < 0 || !Files.isRegularFile(target) || Files.size(target) != length) {
        try (InputStream in = url.openStream()) {
          copyOut(in.readAllBytes(), dir, target);
        }
      }
      if (name.matches("libllama\\.([A-Za-z0-9]+\\.)*so")) {
        llama = target;
      }
    }
    if (llama == null) {
      throw new IOException(NPM_ROOT + "index.txt lists no libllama");
    }
    return llama;
  }

  /** Writes bytes to target (beside it, then renamed), unless a file of that size is already there. */
  private static void copyOut(byte[] bytes, Path dir, Path target) throws IOException {
    if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
      return;
    }
    Files.createDirectories(dir);
    // Write beside the target and rename, so a concurrent process never opens a half-written file.
    Path tmp = Files.createTempFile(dir, "lib", ".tmp");
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The default extraction directory: {@code $XDG_CACHE_HOME/tokenbus/native} or {@code ~/.cache/tokenbus/native}. */
  public static Path defaultCacheDir() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("tokenbus").resolve("native");
  }

  private static String platformFolder() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String normArch = switch (arch) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> arch;
    };
    if (os.contains("linux")) {
      return "Linux/" + normArch;
    }
    throw new UnsupportedOperationException("tokenbus runs llama.cpp on Linux only; this is " + os + "/" + arch);
  }
}
