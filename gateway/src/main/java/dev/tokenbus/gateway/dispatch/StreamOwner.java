package dev.tokenbus.gateway.dispatch;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The tenant a stream belongs to: only its owner sees it in {@code /v1/status}, resumes it and
 * cancels it. With API keys configured the owner is the key that opened the stream, named by a
 * digest of it (SHA-256 over a domain prefix and the key), never the key itself: the digest is what
 * a stream keeps in memory and what a claim carries over the event bus, and every gateway
 * configured with the same key computes the same digest, so ownership holds wherever the stream
 * lives. A gateway without API keys has one tenant, {@link #SINGLE_TENANT}, which owns nothing a
 * key opened. Immutable; {@link #toString} shows no digest.
 */
public final class StreamOwner {

  /** The one tenant of a gateway that asks for no API key. */
  public static final StreamOwner SINGLE_TENANT = new StreamOwner("single-tenant");

  /** Keeps these digests apart from any other SHA-256 of an API key. */
  private static final byte[] DOMAIN = "tokenbus stream owner\0".getBytes(StandardCharsets.UTF_8);
  private static final String PREFIX = "sha256:";

  private final String wire;

  private StreamOwner(String wire) {
    this.wire = wire;
  }

  /** The owner of the streams API key {@code key} opens. */
  public static StreamOwner ofApiKey(String key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(DOMAIN);
      return new StreamOwner(PREFIX + Base64.getUrlEncoder().withoutPadding()
          .encodeToString(sha.digest(key.getBytes(StandardCharsets.UTF_8))));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** The owner named in a claim ({@link #wire}), or null when the claim names none. */
  static StreamOwner fromWire(String wire) {
    return wire == null ? null : new StreamOwner(wire);
  }

  /** The form a claim carries: the digest, or the single tenant's name. */
  String wire() {
    return wire;
  }

  /** Compared in constant time, so timing tells nothing about how much of a digest matched. */
  @Override
  public boolean equals(Object o) {
    return o instanceof StreamOwner other && MessageDigest.isEqual(wire.getBytes(StandardCharsets.UTF_8),
        other.wire.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int hashCode() {
    return wire.hashCode();
  }

  @Override
  public String toString() {
    return this == SINGLE_TENANT ? "StreamOwner[single tenant]" : "StreamOwner[api key]";
  }
}
