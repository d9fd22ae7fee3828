package dev.tokenbus.gateway.dispatch;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.UUID;

/**
 * Stream ids of one gateway: unique across gateways and unguessable. Whoever knows a stream's id can
 * resume or cancel it (with an API key of the gateway), so each holds 96 random bits besides the
 * gateway's prefix and a counter (which keep it readable in logs). Not thread-safe: used on the
 * client's context.
 */
public final class StreamIds {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private static final int PREFIX_LENGTH = 8;

  private final String prefix = UUID.randomUUID().toString().substring(0, PREFIX_LENGTH);
  private long next;

  StreamIds() {}

  /**
   * Whether {@code id} (from a path or a header) has the form of the ids made here: 1 to 128 ASCII
   * letters, digits, {@code -} and {@code _} (the prefix, the counter in base 36 and URL-safe Base64).
   * Only such an id is looked up, or copied into a response header.
   */
  public static boolean wellFormed(String id) {
    if (id == null || id.isEmpty() || id.length() > 128) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  /**
   * The prefix of the gateway that made stream id {@code id} (see {@link #next}), or null when
   * {@code id} has no such form.
   */
  static String prefixOf(String id) {
    int dash = id.indexOf('-');
    return dash == PREFIX_LENGTH ? id.substring(0, dash) : null;
  }

  /** This gateway's part of its ids, also marking the legs it opens for streams resumed here. */
  String prefix() {
    return prefix;
  }

  /** A fresh id: the prefix, a counter and 96 random bits. */
  String next() {
    byte[] secret = new byte[12];
    RANDOM.nextBytes(secret);
    return prefix + "-" + Long.toString(next++, 36) + "-" + ENCODER.encodeToString(secret);
  }
}
