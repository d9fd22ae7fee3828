package dev.tokenbus.engine;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Joins token pieces into text without ever splitting a UTF-8 character: a piece that ends inside
 * a multi-byte character (byte-fallback tokens do) keeps those bytes back until the next piece
 * completes them.
 */
final class Utf8Carry {

  private byte[] pending = new byte[0];

  /** The text that is complete after adding {@code piece}; incomplete trailing bytes are kept. */
  String append(byte[] piece) {
    byte[] bytes;
    if (pending.length == 0) {
      bytes = piece;
    } else {
      bytes = Arrays.copyOf(pending, pending.length + piece.length);
      System.arraycopy(piece, 0, bytes, pending.length, piece.length);
    }
    int complete = completePrefix(bytes);
    pending = complete == bytes.length ? new byte[0] : Arrays.copyOfRange(bytes, complete, bytes.length);
    return complete == 0 ? "" : new String(bytes, 0, complete, StandardCharsets.UTF_8);
  }

  /** Whatever is held back, decoded with replacement characters; used when the generation ends. */
  String flush() {
    String rest = new String(pending, StandardCharsets.UTF_8);
    pending = new byte[0];
    return rest;
  }

  /** Length of the longest prefix that does not end inside a character. */
  static int completePrefix(byte[] b) {
    int n = b.length;
    // A character is at most 4 bytes: look back at most 3 for the lead byte of the last one.
    for (int back = 1; back <= Math.min(3, n); back++) {
      int v = b[n - back] & 0xFF;
      if ((v & 0xC0) == 0x80) {
        continue; // continuation byte: keep looking for the lead
      }
      int need = v >= 0xF0 ? 4 : v >= 0xE0 ? 3 : v >= 0xC0 ? 2 : 1;
      return back < need ? n - back : n;
    }
    return n; // ASCII-only, or invalid bytes: the decoder replaces those
  }
}
