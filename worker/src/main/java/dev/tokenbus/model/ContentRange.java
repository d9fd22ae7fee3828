package dev.tokenbus.model;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code Content-Range} header: {@code bytes 100-199/1000} on a 206, {@code bytes *}{@code /1000} on a 416.
 *
 * @param start first byte sent, or -1 for the unsatisfied form
 * @param total the whole file's size, or -1 when the server wrote {@code *}
 */
record ContentRange(long start, long total) {
  private static final Pattern SATISFIED =
      Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)", Pattern.CASE_INSENSITIVE);
  private static final Pattern UNSATISFIED = Pattern.compile("bytes\\s+\\*/(\\d+)", Pattern.CASE_INSENSITIVE);

  static Optional<ContentRange> parse(String header) {
    if (header == null) {
      return Optional.empty();
    }
    try {
      Matcher m = SATISFIED.matcher(header.strip());
      if (m.matches()) {
        long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
        return Optional.of(new ContentRange(Long.parseLong(m.group(1)), total));
      }
      m = UNSATISFIED.matcher(header.strip());
      if (m.matches()) {
        return Optional.of(new ContentRange(-1, Long.parseLong(m.group(1))));
      }
    } catch (NumberFormatException tooLong) {
      // falls through: not a range this client can use
    }
    return Optional.empty();
  }
}
