package dev.tokenbus.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** SHA-256 helpers: the digest, whole-file hashing and the user's hex string. */
public final class Sha256 {
  private static final int BUFFER = 1 << 20;

  private Sha256() {
  }

  static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Feeds the whole file into {@code digest}. */
  static void update(MessageDigest digest, Path file) throws IOException {
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
  }

  public static String of(Path file) throws IOException {
    MessageDigest digest = newDigest();
    update(digest, file);
    return hex(digest);
  }

  /**
   * The user's hash as 64 lower-case hex digits; null or blank is null (no check).
   *
   * @throws IllegalArgumentException when it is not a SHA-256 in hex
   */
  static String normalise(String sha256) {
    if (sha256 == null || sha256.isBlank()) {
      return null;
    }
    String hex = sha256.strip().toLowerCase(Locale.ROOT);
    if (hex.startsWith("sha256:")) {
      hex = hex.substring("sha256:".length());
    }
    if (!hex.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a SHA-256 (64 hex digits): " + sha256);
    }
    return hex;
  }
}
