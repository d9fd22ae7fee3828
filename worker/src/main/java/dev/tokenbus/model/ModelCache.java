package dev.tokenbus.model;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * Where downloaded models live: one file per URL, named after the URL's last path segment plus a short hash of the
 * whole URL, so {@code a/model.gguf} and {@code b/model.gguf} do not collide. Next to it, while it downloads,
 * {@code <name>.part} (the bytes so far), {@code <name>.part.version} (which version of the file that is) and
 * {@code <name>.lock}.
 */
public final class ModelCache {
  private static final int MAX_NAME_LENGTH = 120;
  private static final int URL_HASH_HEX_DIGITS = 12;

  private final Path directory;

  public ModelCache(Path directory) {
    this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
  }

  /**
   * {@code $TOKENBUS_MODEL_CACHE}, else {@code $XDG_CACHE_HOME/tokenbus/models}, else
   * {@code ~/.cache/tokenbus/models}.
   */
  public static Path defaultDirectory() {
    return defaultDirectory(System.getenv(), System.getProperty("user.home"));
  }

  static Path defaultDirectory(Map<String, String> env, String userHome) {
    String explicit = env.get("TOKENBUS_MODEL_CACHE");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String xdg = env.get("XDG_CACHE_HOME");
    // The XDG spec says a relative value is invalid and must be ignored.
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return Path.of(xdg, "tokenbus", "models");
    }
    return Path.of(userHome, ".cache", "tokenbus", "models");
  }

  public Path directory() {
    return directory;
  }

  /** The finished file for {@code url}. */
  public Path fileFor(URI url) {
    return directory.resolve(fileName(url));
  }

  static Path partFileOf(Path file) {
    return file.resolveSibling(file.getFileName() + ".part");
  }

  static Path versionFileOf(Path file) {
    return file.resolveSibling(file.getFileName() + ".part.version");
  }

  static Path lockFileOf(Path file) {
    return file.resolveSibling(file.getFileName() + ".lock");
  }

  /** {@code .../stories260K.gguf?download=true} becomes {@code stories260K-<12 hex digits>.gguf}. */
  static String fileName(URI url) {
    String segment = lastSegment(url.getPath());
    String safe = segment.replaceAll("[^A-Za-z0-9._-]", "_").replaceFirst("^\\.+", "");
    if (safe.isEmpty()) {
      safe = "model";
    }
    int dot = safe.lastIndexOf('.');
    String stem = dot > 0 ? safe.substring(0, dot) : safe;
    String extension = dot > 0 ? safe.substring(dot) : "";
    if (extension.length() > 16) { // not an extension, just a dot in a long name
      stem = safe;
      extension = "";
    }
    stem = stem.substring(0, Math.min(stem.length(), MAX_NAME_LENGTH));
    return stem + "-" + urlHash(url) + extension;
  }

  private static String lastSegment(String path) {
    if (path == null) {
      return "";
    }
    String trimmed = path.replaceFirst("/+$", "");
    return trimmed.substring(trimmed.lastIndexOf('/') + 1);
  }

  private static String urlHash(URI url) {
    var digest = Sha256.newDigest();
    digest.update(url.toString().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest.digest()).substring(0, URL_HASH_HEX_DIGITS);
  }
}
