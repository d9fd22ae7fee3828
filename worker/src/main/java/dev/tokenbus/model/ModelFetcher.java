package dev.tokenbus.model;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link ModelSource} into a local model file. A local path is checked and returned as it is; a URL is
 * downloaded once into a {@link ModelCache} and found there afterwards.
 *
 * <p>A download goes to {@code <name>.part}, resumes from it after an interruption, is checked against the expected
 * SHA-256 when one is given, and is renamed into place atomically: the final name never holds a partial file. Callers
 * in several threads or JVMs share one download through a lock file. Thread-safe.
 */
public final class ModelFetcher {
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(60);

  private static final Logger log = LoggerFactory.getLogger(ModelFetcher.class);

  private final ModelCache cache;
  private final ProgressListener progress;
  private final Duration connectTimeout;
  private final Duration stallTimeout;

  private ModelFetcher(ModelCache cache, ProgressListener progress, Duration connectTimeout, Duration stallTimeout) {
    this.cache = cache;
    this.progress = progress;
    this.connectTimeout = connectTimeout;
    this.stallTimeout = stallTimeout;
  }

  /** Cache in {@link ModelCache#defaultDirectory()}, progress by {@link ProgressListener#forTerminalOrLog()}. */
  public static Builder builder() {
    return new Builder();
  }

  public ModelCache cache() {
    return cache;
  }

  /**
   * The model file for {@code source}, downloading it first if it is a URL not yet in the cache.
   *
   * @throws ModelFetchException    the file is missing or unreadable, the download failed, or the SHA-256 differs
   * @throws InterruptedIOException this thread was interrupted (a partial download stays, to be resumed)
   */
  public Path resolve(ModelSource source) throws IOException {
    Objects.requireNonNull(source, "source");
    try {
      return switch (source) {
        case ModelSource.LocalFile local -> checkLocal(local);
        case ModelSource.Remote remote -> fetch(remote);
      };
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted = new InterruptedIOException("interrupted while fetching " + source);
      interrupted.initCause(e);
      throw interrupted;
    }
  }

  private static Path checkLocal(ModelSource.LocalFile local) throws IOException {
    Path path = local.path();
    if (!Files.exists(path)) {
      throw new ModelFetchException("model file not found: " + path.toAbsolutePath());
    }
    if (!Files.isRegularFile(path)) {
      throw new ModelFetchException("model is not a regular file: " + path.toAbsolutePath());
    }
    if (!Files.isReadable(path)) {
      throw new ModelFetchException("model file is not readable: " + path.toAbsolutePath());
    }
    String expected = local.expectedSha256();
    if (expected != null) {
      String actual = Sha256.of(path);
      if (!actual.equals(expected)) {
        throw new ModelFetchException("checksum mismatch for " + path.toAbsolutePath() + ": expected sha256 "
            + expected + ", actual " + actual);
      }
    }
    return path;
  }

  private Path fetch(ModelSource.Remote remote) throws IOException, InterruptedException {
    Path directory = createCacheDirectory();
    Path target = directory.resolve(ModelCache.fileName(remote.url()));
    if (remote.expectedSha256() == null && Files.isRegularFile(target)) {
      return usingCached(remote, target); // complete: only a finished download is ever renamed to this name
    }
    try (DownloadLock lock = DownloadLock.acquire(ModelCache.lockFileOf(target), remote.displayUrl())) {
      if (isCachedAndValid(remote, target)) {
        return target;
      }
      download(remote, target);
      return target;
    }
  }

  /** The cache directory as a real path, so every spelling of it locks the same files. */
  private Path createCacheDirectory() throws ModelFetchException {
    try {
      return Files.createDirectories(cache.directory()).toRealPath();
    } catch (IOException e) {
      throw new ModelFetchException("cannot create the model cache directory " + cache.directory() + " ("
          + ModelFetchException.describe(e) + ")", e);
    }
  }

  private static boolean isCachedAndValid(ModelSource.Remote remote, Path target) throws IOException {
    if (!Files.isRegularFile(target)) {
      return false;
    }
    String expected = remote.expectedSha256();
    String actual = expected == null ? null : Sha256.of(target);
    if (expected == null || actual.equals(expected)) {
      usingCached(remote, target);
      return true;
    }
    log.warn("{}: the cached {} has sha256 {}, not the expected {}: downloading it again", remote.displayUrl(), target,
        actual, expected);
    Files.delete(target);
    return false;
  }

  private static Path usingCached(ModelSource.Remote remote, Path target) {
    log.info("{}: using the cached {}", remote.displayUrl(), target);
    return target;
  }

  private void download(ModelSource.Remote remote, Path target) throws IOException, InterruptedException {
    Path part = ModelCache.partFileOf(target);
    PartVersion version = new PartVersion(ModelCache.versionFileOf(target));
    long startNanos = System.nanoTime();
    HttpClient client = HttpClient.newBuilder()
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
    String actual;
    try {
      actual = new RangeDownload(client, remote, part, version, stallTimeout, progress).run();
    } finally {
      client.shutdownNow();
    }
    String expected = remote.expectedSha256();
    if (expected != null && !expected.equals(actual)) {
      Files.deleteIfExists(part); // resuming it could never give the right file
      version.forget();
      throw new ModelFetchException("checksum mismatch for " + remote.displayUrl() + ": expected sha256 " + expected
          + ", actual " + actual + " (the download was deleted)");
    }
    moveIntoPlace(part, target);
    version.forget();
    String seconds = String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startNanos) / 1e9);
    log.info("downloaded {} to {} ({} MiB in {} s)", remote.displayUrl(), target, ProgressFormat.mib(Files.size(target)),
        seconds);
  }

  private static void moveIntoPlace(Path part, Path target) throws ModelFetchException {
    try {
      try {
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new ModelFetchException("cannot move " + part + " to " + target + " (" + ModelFetchException.describe(e) + ")", e);
    }
  }

  /** Options of a {@link ModelFetcher}; every one has a default. */
  public static final class Builder {
    private Path cacheDirectory;
    private ProgressListener progress;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;

    private Builder() {
    }

    /** Where downloads are kept. Default: {@link ModelCache#defaultDirectory()}. */
    public Builder cacheDirectory(Path directory) {
      this.cacheDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /** Default: {@link ProgressListener#forTerminalOrLog()}. */
    public Builder progress(ProgressListener listener) {
      this.progress = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** How long to wait for a TCP (and TLS) connection. Default: 30 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /** How long a download may go without a byte (response headers included) before it fails. Default: 60 s. */
    public Builder stallTimeout(Duration timeout) {
      this.stallTimeout = positive(timeout, "stallTimeout");
      return this;
    }

    public ModelFetcher build() {
      Path directory = cacheDirectory != null ? cacheDirectory : ModelCache.defaultDirectory();
      ProgressListener listener = progress != null ? progress : ProgressListener.forTerminalOrLog();
      return new ModelFetcher(new ModelCache(directory), listener, connectTimeout, stallTimeout);
    }

    private static Duration positive(Duration timeout, String name) {
      Objects.requireNonNull(timeout, name);
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + timeout);
      }
      return timeout;
    }
  }
}
