package dev.tokenbus.model;

import java.io.IOException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which version of the remote file a {@code .part} holds, as the server named it: a strong ETag, else Last-Modified
 * (a weak ETag cannot be used). Kept in a file next to the part, so a resume can send it as {@code If-Range} and a
 * file that changed on the server is not spliced onto bytes of the old one.
 */
final class PartVersion {
  private static final Logger log = LoggerFactory.getLogger(ModelFetcher.class);

  private final Path file;

  PartVersion(Path file) {
    this.file = file;
  }

  /** Remembers the version a fresh part is being filled from (forgets any older one). */
  void remember(HttpHeaders headers) throws IOException {
    Optional<String> strongEtag = headers.firstValue("ETag").filter(tag -> !tag.startsWith("W/"));
    Optional<String> version = strongEtag.or(() -> headers.firstValue("Last-Modified"));
    if (version.isPresent()) {
      Files.writeString(file, version.get(), StandardCharsets.UTF_8);
    } else {
      forget();
    }
  }

  /** The remembered version; empty when none was given, or the file is missing or unreadable. */
  Optional<String> recalled() {
    try {
      if (Files.isRegularFile(file)) {
        String version = Files.readString(file, StandardCharsets.UTF_8).strip();
        return version.isEmpty() || version.contains("\n") ? Optional.empty() : Optional.of(version);
      }
    } catch (IOException e) {
      log.debug("cannot read {}", file, e);
    }
    return Optional.empty();
  }

  void forget() throws IOException {
    Files.deleteIfExists(file);
  }
}
