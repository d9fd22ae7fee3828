package dev.tokenbus.model;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a model comes from, as the user gave it: a local file, or an {@code http(s)://} URL to download once and
 * cache. Either may carry the SHA-256 the file must have.
 */
public sealed interface ModelSource {

  /** The expected SHA-256 as 64 lower-case hex digits, or null when none was given. */
  String expectedSha256();

  /** A model file on this machine. */
  record LocalFile(Path path, String expectedSha256) implements ModelSource {
    public LocalFile {
      Objects.requireNonNull(path, "path");
      expectedSha256 = Sha256.normalise(expectedSha256);
    }

    @Override
    public String toString() {
      return path.toString();
    }
  }

  /** A model to download over HTTP or HTTPS. */
  record Remote(URI url, String expectedSha256) implements ModelSource {
    public Remote {
      Objects.requireNonNull(url, "url");
      if (!isHttp(url.getScheme()) || url.getHost() == null) {
        throw new IllegalArgumentException("not an http(s) URL with a host: " + url);
      }
      expectedSha256 = Sha256.normalise(expectedSha256);
    }

    /** The URL for messages and logs, without any user:password part. */
    public String displayUrl() {
      if (url.getRawUserInfo() == null) {
        return url.toString();
      }
      return url.toString().replace(url.getRawUserInfo() + "@", "");
    }

    @Override
    public String toString() {
      return displayUrl();
    }
  }

  /** {@link #parse(String, String)} without an expected hash. */
  static ModelSource parse(String pathOrUrl) {
    return parse(pathOrUrl, null);
  }

  /**
   * Reads what the user gave: {@code http://} and {@code https://} are URLs, {@code file:} URIs and everything else
   * are paths. {@code expectedSha256} may be null or blank (no check), else 64 hex digits, optionally prefixed
   * {@code sha256:}.
   *
   * @throws IllegalArgumentException when it is neither a valid URL nor a valid path, or the hash is malformed
   */
  static ModelSource parse(String pathOrUrl, String expectedSha256) {
    Objects.requireNonNull(pathOrUrl, "pathOrUrl");
    String text = pathOrUrl.strip();
    if (text.isEmpty()) {
      throw new IllegalArgumentException("the model is empty: give a file path or an http(s) URL");
    }
    String scheme = schemeOf(text);
    try {
      if (isHttp(scheme)) {
        return new Remote(new URI(text), expectedSha256);
      }
      if ("file".equals(scheme)) {
        return new LocalFile(Path.of(new URI(text)), expectedSha256);
      }
      return new LocalFile(Path.of(text), expectedSha256);
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a valid model path or URL: " + text + " (" + e.getMessage() + ")", e);
    }
  }

  private static boolean isHttp(String scheme) {
    return "http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme);
  }

  /** The lower-cased URI scheme, or null; a Windows drive letter such as {@code C:} is not a scheme. */
  private static String schemeOf(String text) {
    int colon = text.indexOf(':');
    if (colon < 2 || !text.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*")) {
      return null;
    }
    return text.substring(0, colon).toLowerCase(Locale.ROOT);
  }
}
