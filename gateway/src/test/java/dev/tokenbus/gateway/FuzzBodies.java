package dev.tokenbus.gateway;

import dev.tokenbus.gateway.api.GenerateParameters;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Malformed and hostile bodies for {@code POST /v1/generate}, drawn from one seeded {@link Random}
 * so that a failing run can be replayed body for body.
 */
final class FuzzBodies {

  /** What a body was made to exercise; the test prints a histogram per kind. */
  enum Kind { MUTATED, FIELDS, DEEP, NUMBERS, LONG, BAD_BYTES, DUPLICATES, ESCAPES }

  record Body(int index, Kind kind, byte[] bytes) {
    /** The start of the body, printable, for failure messages. */
    String preview() {
      String s = new String(bytes, 0, Math.min(bytes.length, 160), StandardCharsets.UTF_8);
      StringBuilder out = new StringBuilder();
      s.codePoints().forEach(c -> out.append(c < 0x20 || c == 0xFFFD ? String.format("\\x%02x", c & 0xFF)
          : Character.toString(c)));
      return "#" + index + " " + kind + " (" + bytes.length + " bytes) " + out;
    }
  }

  static final List<String> FIELDS = List.of("prompt", "stream", "max_tokens", "temperature", "top_k", "top_p",
      "min_p", "repeat_penalty", "repeat_last_n", "frequency_penalty", "presence_penalty", "seed", "stop",
      "stream_delay_ms", "buffer_size", "timeout_ms", "top_logprobs", "model", "logit_bias");

  private static final List<String> NUMBER_LITERALS = List.of("0", "1", "-1", "2", "16", "64", "256", "1000",
      "1024", "4096", "4097", "60000", "60001", "86400000", "86400001", "1000000", "1000001", "2147483647",
      "-2147483648", "2147483648", "4294967294", "4294967295", "9007199254740993", "9223372036854775807",
      "9223372036854775808", "-9223372036854775809", "1e400", "-1e400", "1e-400", "-0", "-0.0", "0.0", "1.0",
      "1.5", "0.5", "1E2", "2.5e-3", "5e0", "123456789012345678901234567890", "1" + "0".repeat(300),
      "0." + "0".repeat(300) + "1", "1" + "0".repeat(1500));

  private static final List<String> ESCAPED = List.of("\\u0000", "\\ud800", "\\udfff", "\\ud800\\ud800",
      "\\udc00\\ud800", "\\ud83d\\ude00", "\\uffff", "\\ufffe", "\\u00e9", "\\u202e", "\\n", "\\r", "\\t", "\\b",
      "\\f", "\\/", "\\\\", "\\\"", "\\u001b[31m", "\\u2028", "\\ufeff");

  private static final byte[][] BAD_BYTES = {{(byte) 0xC3, 0x28}, {(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xFE},
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
      {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE2, (byte) 0x82}, {0}, {0, 0, 0}, {1}, {0x1F}, {0x7F}, {'\n'},
      {'\r'}, {'\t'}};

  private final Random rng;
  private int next;

  FuzzBodies(long seed) {
    this.rng = new Random(seed);
  }

  Body next() {
    int index = next++;
    int roll = rng.nextInt(100);
    Kind kind = roll < 30 ? Kind.MUTATED : roll < 58 ? Kind.FIELDS : roll < 63 ? Kind.DEEP : roll < 73 ? Kind.NUMBERS
        : roll < 78 ? Kind.LONG : roll < 88 ? Kind.BAD_BYTES : roll < 93 ? Kind.DUPLICATES : Kind.ESCAPES;
    byte[] bytes = switch (kind) {
      case MUTATED -> mutated();
      case FIELDS -> fields();
      case DEEP -> deep();
      case NUMBERS -> numbers();
      case LONG -> longStrings();
      case BAD_BYTES -> badBytes();
      case DUPLICATES -> duplicates();
      case ESCAPES -> escapes();
    };
    return new Body(index, kind, bytes);
  }

  // ---- the kinds ----

  /** A valid body, streamed or not, with a few byte-level edits. */
  private byte[] mutated() {
    byte[] b = validBody().getBytes(StandardCharsets.UTF_8);
    int edits = 1 + rng.nextInt(4);
    for (int i = 0; i < edits && b.length > 0; i++) {
      int at = rng.nextInt(b.length);
      b = switch (rng.nextInt(6)) {
        case 0 -> flipBit(b, at);
        case 1 -> java.util.Arrays.copyOf(b, at);
        case 2 -> insert(b, at, new byte[] {(byte) rng.nextInt(256)});
        case 3 -> insert(b, at, pick(List.of("{", "}", "[", "]", ",", ":", "\"", "\\", "0", "-", "e", "null"))
            .getBytes(StandardCharsets.UTF_8));
        case 4 -> delete(b, at, 1 + rng.nextInt(Math.min(8, b.length - at)));
        default -> replace(b, at, (byte) "0123456789.-e".charAt(rng.nextInt(13)));
      };
    }
    return b;
  }

  /** An object of known (and some unknown) fields, each with a plausible or a random value. */
  private byte[] fields() {
    Json j = new Json();
    j.raw("{");
    List<String> keys = new ArrayList<>();
    if (rng.nextInt(10) > 0) {
      keys.add("prompt");
    }
    for (String f : FIELDS) {
      if (!f.equals("prompt") && rng.nextInt(3) == 0) {
        keys.add(f);
      }
    }
    if (rng.nextInt(4) == 0) {
      keys.add("unknown_" + rng.nextInt(100));
    }
    Collections.shuffle(keys, rng);
    boolean plausible = rng.nextBoolean();
    for (int i = 0; i < keys.size(); i++) {
      if (i > 0) {
        j.raw(",");
      }
      j.string(keys.get(i)).raw(":");
      if (plausible && rng.nextInt(6) > 0) {
        j.raw(plausible(keys.get(i)));
      } else {
        value(j, keys.get(i), 3);
      }
    }
    return j.raw("}").bytes();
  }

  /** Arrays or objects nested far past any sane depth, as the body or as a field. */
  private byte[] deep() {
    int depth = pick(List.of(10, 500, 999, 1001, 2000, 10_000, 50_000));
    boolean objects = rng.nextBoolean();
    StringBuilder open = new StringBuilder();
    StringBuilder close = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      open.append(objects ? "{\"a\":" : "[");
      close.append(objects ? "}" : "]");
    }
    String nested = open + (rng.nextBoolean() ? "1" : "") + close;
    String body = switch (rng.nextInt(4)) {
      case 0 -> nested;
      case 1 -> "{\"prompt\":\"deep\",\"max_tokens\":2,\"x\":" + nested + "}";
      case 2 -> "{\"prompt\":" + nested + "}";
      default -> "{\"prompt\":\"deep\",\"stop\":" + nested + "}";
    };
    return body.getBytes(StandardCharsets.UTF_8);
  }

  /** A valid body with one field set to an extreme or odd number literal. */
  private byte[] numbers() {
    String field = pick(FIELDS);
    return withField(validBody(), field, pick(NUMBER_LITERALS));
  }

  /** Long prompts, stop strings, keys and unknown values; now and then past the 1 MiB limit. */
  private byte[] longStrings() {
    int n = rng.nextInt(12) == 0 ? 1024 * 1024 + rng.nextInt(1024) : pick(List.of(1000, 10_000, 100_000, 300_000));
    String unit = pick(List.of("a", "ab ", "\u00e9", "\ud83d\ude00", "\\u0041", " "));
    String s = repeatTo(unit, n);
    return switch (rng.nextInt(4)) {
      case 0 -> withField(validBody(), "prompt", "\"" + s + "\"");
      case 1 -> withField(validBody(), "stop", "\"" + s + "\"");
      case 2 -> withField(validBody(), s.replace("\\", "_"), "1");
      default -> withField(validBody(), "filler", "\"" + s + "\"");
    };
  }

  /** Invalid UTF-8, NUL and control bytes, raw, inside a string or between tokens. */
  private byte[] badBytes() {
    byte[] b = validBody().getBytes(StandardCharsets.UTF_8);
    int prompt = indexOf(b, "Once"); // insertions land at or after it, so it stays where it is
    int count = 1 + rng.nextInt(3);
    for (int i = 0; i < count; i++) {
      // Mostly inside the prompt's text, where a lenient decoder would let them through.
      int at = rng.nextInt(3) > 0 ? prompt + rng.nextInt(4) : prompt + rng.nextInt(b.length - prompt);
      b = insert(b, at, BAD_BYTES[rng.nextInt(BAD_BYTES.length)]);
    }
    return b;
  }

  /** The same key twice or more, with values of differing validity. */
  private byte[] duplicates() {
    String field = pick(FIELDS);
    Json j = new Json();
    j.raw("{\"prompt\":\"dup\",\"max_tokens\":4");
    int copies = 2 + rng.nextInt(3);
    for (int i = 0; i < copies; i++) {
      j.raw(",").string(field).raw(":");
      if (rng.nextBoolean()) {
        j.raw(plausible(field));
      } else {
        value(j, field, 2);
      }
    }
    return j.raw("}").bytes();
  }

  /** Unicode escapes, lone surrogates and escaped control characters in the prompt and stop strings. */
  private byte[] escapes() {
    StringBuilder p = new StringBuilder();
    int n = 1 + rng.nextInt(8);
    for (int i = 0; i < n; i++) {
      p.append(rng.nextBoolean() ? pick(ESCAPED) : "x");
    }
    if (rng.nextInt(5) == 0) {
      p.append(pick(List.of("\\u12", "\\uZZZZ", "\\", "\\q"))); // broken escapes
    }
    String body = withFieldText(validBody(), "prompt", "\"" + p + "\"");
    if (rng.nextBoolean()) {
      body = withFieldText(body, "stop", "[\"" + pick(ESCAPED) + "\",\"" + pick(ESCAPED) + "\"]");
    }
    return body.getBytes(StandardCharsets.UTF_8);
  }

  // ---- pieces ----

  /**
   * A valid request: streamed with big budgets (the test closes the stream at once), or not
   * streamed with small ones (the answer only comes when the generation ends).
   */
  private String validBody() {
    boolean stream = rng.nextBoolean();
    return new JsonObject().put("prompt", "Once upon a time").put("max_tokens", stream ? 100_000 : 8)
        .put("temperature", 0.7).put("top_p", 0.9).put("top_k", 40).put("seed", 7).put("stop", List.of("\n\n"))
        .put("buffer_size", 16).put("stream", stream).encode();
  }

  /** A value that is valid for {@code field}, or close to the edge of its range. */
  private String plausible(String field) {
    return switch (field) {
      case "prompt" -> "\"" + pick(List.of("hello", "Once upon a time", "x", "\u00e9t\u00e9", "a\\nb")) + "\"";
      case "stream" -> rng.nextBoolean() ? "true" : "false";
      case "max_tokens" -> Integer.toString(1 + rng.nextInt(64));
      case "temperature" -> pick(List.of("0", "0.7", "1", "5", "2.5"));
      case "top_k" -> pick(List.of("0", "1", "40", "100000"));
      case "top_p", "min_p" -> pick(List.of("0.5", "1", "0.01"));
      case "repeat_penalty" -> pick(List.of("1", "1.1", "10", "0.01"));
      case "repeat_last_n" -> pick(List.of("-1", "0", "64", "4096"));
      case "frequency_penalty", "presence_penalty" -> pick(List.of("-2", "0", "0.5", "2"));
      case "seed" -> pick(List.of("0", "42", "4294967294", "-1", "9223372036854775807", "-9223372036854775808"));
      case "stop" -> pick(List.of("\"the\"", "[\"a\",\"b\"]", "[]", "\" \""));
      case "stream_delay_ms" -> pick(List.of("0", "1", "5"));
      case "buffer_size" -> pick(List.of("1", "2", "32", "4096"));
      case "timeout_ms" -> pick(List.of("1", "50", "1000", "86400000"));
      case "top_logprobs" -> pick(List.of("0", "1", "20"));
      case "model" -> pick(List.of("\"tiny\"", "null"));
      case "logit_bias" -> pick(List.of("{}", "{\"1\":-100}", "{\"5\":100,\"6\":-1.5}", "{\"0\":0}"));
      default -> "1";
    };
  }

  /** A random value for the top-level field {@code key}, within what this test can tell apart. */
  private void value(Json j, String key, int depth) {
    value(j, depth);
  }

  /** A random JSON value (possibly malformed), at most {@code depth} levels of containers deep. */
  private void value(Json j, int depth) {
    switch (rng.nextInt(depth > 0 ? 11 : 8)) {
      case 0 -> j.raw("null");
      case 1 -> j.raw(rng.nextBoolean() ? "true" : "false");
      case 2, 3 -> j.raw(pick(NUMBER_LITERALS));
      case 4 -> j.raw(Double.toString((rng.nextDouble() - 0.5) * Math.pow(10, rng.nextInt(12) - 4)));
      case 5 -> j.string(pick(List.of("", "a", "tiny", "true", "5", "hello world", "\u00e9\u00e8", "\ud83d\ude00")));
      case 6 -> j.raw("\"" + pick(ESCAPED) + pick(ESCAPED) + "\"");
      case 7 -> j.raw(pick(List.of("NaN", "Infinity", "-", "1.", ".5", "01", "tru", "nul", "\"open", "'q'", "")));
      case 8 -> {
        j.raw("[");
        int n = rng.nextInt(5);
        for (int i = 0; i < n; i++) {
          if (i > 0) {
            j.raw(",");
          }
          value(j, depth - 1);
        }
        j.raw("]");
      }
      default -> {
        j.raw("{");
        int n = rng.nextInt(4);
        for (int i = 0; i < n; i++) {
          if (i > 0) {
            j.raw(",");
          }
          j.string(pick(FIELDS)).raw(":");
          value(j, depth - 1);
        }
        j.raw("}");
      }
    }
  }

  /** {@code body} (a JSON object's text) with {@code field} appended; a later key wins in the parser. */
  private static byte[] withField(String body, String field, String rawValue) {
    return withFieldText(body, field, rawValue).getBytes(StandardCharsets.UTF_8);
  }

  private static String withFieldText(String body, String field, String rawValue) {
    return body.substring(0, body.length() - 1) + ",\"" + field + "\":" + rawValue + "}";
  }

  private <T> T pick(List<T> options) {
    return options.get(rng.nextInt(options.size()));
  }

  private static String repeatTo(String unit, int chars) {
    return unit.repeat(Math.max(1, chars / unit.length()));
  }

  private byte[] flipBit(byte[] b, int at) {
    byte[] out = b.clone();
    out[at] ^= (byte) (1 << rng.nextInt(8));
    return out;
  }

  private static byte[] replace(byte[] b, int at, byte v) {
    byte[] out = b.clone();
    out[at] = v;
    return out;
  }

  private static byte[] insert(byte[] b, int at, byte[] what) {
    byte[] out = new byte[b.length + what.length];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(what, 0, out, at, what.length);
    System.arraycopy(b, at, out, at + what.length, b.length - at);
    return out;
  }

  private static byte[] delete(byte[] b, int at, int n) {
    byte[] out = new byte[b.length - n];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(b, at + n, out, at, b.length - at - n);
    return out;
  }

  private static int indexOf(byte[] b, String ascii) {
    return new String(b, StandardCharsets.ISO_8859_1).indexOf(ascii);
  }

  /**
   * Whether the gateway would accept {@code body} as a non-streamed generation that may run for
   * seconds: its answer only comes at the end, so it would hold a request past its deadline for
   * no fault of the gateway's. Judged with the gateway's own parser.
   */
  static boolean slowUnstreamed(byte[] body) {
    try {
      Object parsed = Buffer.buffer(body).toJsonValue();
      if (!(parsed instanceof JsonObject o)) {
        return false;
      }
      GenerateParameters.Generate g = GenerateParameters.parse(o);
      long paced = g.config().streamDelayMs() * g.config().maxTokens();
      return !g.stream() && (g.config().maxTokens() > 64 || Math.min(paced, g.config().timeoutMs()) > 1000);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Builds a body as bytes, so that raw invalid bytes and odd literals survive. */
  private static final class Json {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Json raw(String s) {
      out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    Json string(String s) {
      return raw("\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
