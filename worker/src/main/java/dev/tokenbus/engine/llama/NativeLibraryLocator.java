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
import java.util.Locale;

/**
 * Finds llama.cpp's shared library. By default it is the {@code libjllama.so} shipped inside the
 * {@code de.kherud:llama} jar (CPU build, or CUDA with the {@code cuda} Maven profile): it is copied
 * out once into a cache directory keyed by its content hash, so restarts reuse the same file and
 * two versions never overwrite each other. Only the resource is read: no de.kherud class is loaded.
 */
public final class NativeLibraryLocator {

  private static final String RESOURCE_ROOT = "de/kherud/llama/";

  private NativeLibraryLocator() {}

  /**
   * @param explicit a library path from configuration, or null to use the jar's copy
   * @param cacheDir where to extract the jar's copy
   */
  public static Path locate(Path explicit, Path cacheDir) throws IOException {
    if (explicit != null) {
      if (!Files.isRegularFile(explicit)) {
        throw new IOException("llama.cpp library " + explicit + " does not exist or is not a file");
      }
      return explicit;
    }
    String resource = RESOURCE_ROOT + platformFolder() + "/libjllama.so";
    URL url = NativeLibraryLocator.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IOException("no llama.cpp library for this platform on the class path (looked for "
          + resource + "). The de.kherud:llama jar for this platform or classifier does not ship one;"
          + " set native.library to a libjllama.so/libllama.so built from llama.cpp b4916.");
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
    if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
      return target;
    }
    Files.createDirectories(dir);
    // Write beside the target and rename, so a concurrent process never opens a half-written file.
    Path tmp = Files.createTempFile(dir, "libjllama", ".tmp");
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
    return target;
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
