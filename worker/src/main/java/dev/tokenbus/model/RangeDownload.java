package dev.tokenbus.model;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a {@code .part} file up to the whole remote file: resumes it with {@code Range: bytes=N-}, or starts over
 * when the server cannot resume (it answers 200, a range that does not start at N, or 416 for a part that is not
 * the whole file). A resume carries {@code If-Range} with the {@link PartVersion}, so a file that changed on the
 * server is downloaded afresh instead of being spliced.
 */
final class RangeDownload {
  private static final Logger log = LoggerFactory.getLogger(ModelFetcher.class);

  private final HttpClient client;
  private final ModelSource.Remote source;
  private final Path part;
  private final PartVersion version;
  private final Duration stallTimeout;
  private final ProgressListener progress;

  RangeDownload(HttpClient client, ModelSource.Remote source, Path part, PartVersion version, Duration stallTimeout,
      ProgressListener progress) {
    this.client = client;
    this.source = source;
    this.part = part;
    this.version = version;
    this.stallTimeout = stallTimeout;
    this.progress = progress;
  }

  /** Downloads whatever the part file lacks and returns the SHA-256 of the whole part file. */
  String run() throws IOException, InterruptedException {
    long have = Files.isRegularFile(part) ? Files.size(part) : 0;
    MessageDigest digest = Sha256.newDigest();
    if (have > 0) {
      Sha256.update(digest, part); // before the request: hashing gigabytes must not idle an open response
    }
    while (true) {
      HttpResponse<Flow.Publisher<List<ByteBuffer>>> response = send(have);
      int status = response.statusCode();
      if (have > 0) {
        Optional<ContentRange> range = ContentRange.parse(header(response, "Content-Range"));
        if (status == 206 && range.isPresent() && range.get().start() == have) {
          return receive(response, have, range.get().total(), digest);
        }
        if (status == 416 && range.isPresent() && range.get().total() == have) {
          BodyChunks.discard(response.body());
          log.info("{}: the partial download was already complete", source.displayUrl());
          return Sha256.hex(digest);
        }
        if (status == 200) {
          log.info("{}: the server sent the whole file instead of resuming at byte {}: starting over",
              source.displayUrl(), have);
          digest.reset();
          rememberVersion(response.headers());
          return receive(response, 0, contentLength(response), digest);
        }
        if (status == 206 || status == 416) {
          BodyChunks.discard(response.body());
          log.info("{}: cannot resume at byte {} ({}, Content-Range {}): starting over", source.displayUrl(), have,
              HttpStatusText.of(status), header(response, "Content-Range"));
          deletePart();
          have = 0;
          digest.reset();
          continue;
        }
      } else if (status == 200) {
        rememberVersion(response.headers());
        return receive(response, 0, contentLength(response), digest);
      }
      BodyChunks.discard(response.body());
      throw failure(HttpStatusText.of(status), null);
    }
  }

  private HttpResponse<Flow.Publisher<List<ByteBuffer>>> send(long from) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(source.url()).timeout(stallTimeout).GET();
    if (from > 0) {
      request.header("Range", "bytes=" + from + "-");
      version.recalled().ifPresent(v -> request.header("If-Range", v));
    }
    try {
      return client.send(request.build(), HttpResponse.BodyHandlers.ofPublisher());
    } catch (HttpConnectTimeoutException e) {
      throw failure("cannot connect to " + hostAndPort() + " (timed out)", e);
    } catch (HttpTimeoutException e) {
      throw failure("no response within " + seconds(stallTimeout), e);
    } catch (ConnectException e) {
      throw failure("cannot connect to " + hostAndPort() + " (" + ModelFetchException.describe(e) + ")", e);
    } catch (IOException e) {
      throw failure(ModelFetchException.describe(e), e);
    }
  }

  private String receive(HttpResponse<Flow.Publisher<List<ByteBuffer>>> response, long from, long total,
      MessageDigest digest) throws IOException, InterruptedException {
    BodyChunks chunks = new BodyChunks();
    response.body().subscribe(chunks);
    try {
      ensureSpace(total < 0 ? 0 : total - from);
      try (FileChannel out = openPart(from)) {
        long done = receiveInto(out, chunks, from, total, digest);
        if (total >= 0 && done > total) {
          deletePart();
          throw failure("the server sent " + done + " bytes, more than the " + total + " it announced", null);
        }
        if (total >= 0 && done < total) {
          throw failure("the server ended the response at " + position(done, total) + "; run again to resume", null);
        }
        force(out);
      }
    } finally {
      chunks.cancel();
    }
    return Sha256.hex(digest);
  }

  /** Appends the body to the part file; returns the part's length after it. */
  private long receiveInto(FileChannel out, BodyChunks chunks, long from, long total, MessageDigest digest)
      throws IOException, InterruptedException {
    progress.started(source.displayUrl(), from, total);
    try {
      long done = from;
      long startNanos = System.nanoTime();
      for (List<ByteBuffer> chunk; (chunk = nextChunk(chunks, done, total)) != null; ) {
        for (ByteBuffer buffer : chunk) {
          digest.update(buffer.duplicate());
          done += write(out, buffer);
        }
        progress.progress(done, total, bytesPerSecond(done - from, startNanos));
      }
      return done;
    } finally {
      progress.finished();
    }
  }

  private List<ByteBuffer> nextChunk(BodyChunks chunks, long done, long total)
      throws IOException, InterruptedException {
    try {
      return chunks.next(stallTimeout);
    } catch (BodyChunks.StalledException | HttpTimeoutException e) {
      throw failure("stalled: no data for " + seconds(stallTimeout) + " at " + position(done, total)
          + "; run again to resume", e);
    } catch (IOException e) {
      throw failure("the connection broke off at " + position(done, total) + " (" + ModelFetchException.describe(e)
          + "); run again to resume", e);
    }
  }

  private FileChannel openPart(long from) throws ModelFetchException {
    try {
      FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      out.truncate(from);
      out.position(from);
      return out;
    } catch (IOException e) {
      throw diskFailure("cannot open " + part, e);
    }
  }

  private long write(FileChannel out, ByteBuffer buffer) throws ModelFetchException {
    int bytes = buffer.remaining();
    try {
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
    } catch (IOException e) {
      throw diskFailure("cannot write " + part, e);
    }
    return bytes;
  }

  private void force(FileChannel out) throws ModelFetchException {
    try {
      out.force(true); // on disk before the rename makes it the model: a crash must not leave a short model file
    } catch (IOException e) {
      throw diskFailure("cannot write " + part, e);
    }
  }

  private void ensureSpace(long bytes) throws ModelFetchException {
    try {
      long usable = Files.getFileStore(part.getParent()).getUsableSpace();
      if (usable < bytes) {
        throw new ModelFetchException("cannot download " + source.displayUrl() + ": not enough disk space in "
            + part.getParent() + " (needs " + ProgressFormat.mib(bytes) + " MiB more, "
            + ProgressFormat.mib(usable) + " MiB free)");
      }
    } catch (ModelFetchException e) {
      throw e;
    } catch (IOException e) {
      log.debug("cannot tell the free space in {}", part.getParent(), e);
    }
  }

  private void rememberVersion(HttpHeaders headers) throws ModelFetchException {
    try {
      version.remember(headers);
    } catch (IOException e) {
      throw diskFailure("cannot write next to " + part, e);
    }
  }

  private void deletePart() throws ModelFetchException {
    try {
      Files.deleteIfExists(part);
      version.forget();
    } catch (IOException e) {
      throw diskFailure("cannot delete " + part, e);
    }
  }

  private ModelFetchException failure(String reason, Throwable cause) {
    return new ModelFetchException("cannot download " + source.displayUrl() + ": " + reason, cause);
  }

  private ModelFetchException diskFailure(String what, IOException e) {
    return failure(what + " (" + ModelFetchException.describe(e) + ")", e);
  }

  private String hostAndPort() {
    int port = source.url().getPort();
    return port < 0 ? source.url().getHost() : source.url().getHost() + ":" + port;
  }

  private static long contentLength(HttpResponse<?> response) {
    return response.headers().firstValueAsLong("Content-Length").orElse(-1);
  }

  private static String header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  private static double bytesPerSecond(long bytes, long startNanos) {
    long elapsed = System.nanoTime() - startNanos;
    return elapsed <= 0 ? 0 : bytes * 1e9 / elapsed;
  }

  private static String position(long done, long total) {
    String mib = ProgressFormat.mib(done);
    return total < 0 ? mib + " MiB" : mib + " of " + ProgressFormat.mib(total) + " MiB";
  }

  private static String seconds(Duration duration) {
    return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
  }
}
