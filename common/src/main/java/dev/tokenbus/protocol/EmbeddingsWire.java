package dev.tokenbus.protocol;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An embeddings request to a worker ({@link Addresses#embeddings}) and its answer.
 *
 * <p>The request is JSON: {@code {"input":[item...], "dimensions":n?}}, each item a text (String)
 * or token ids (an array of integers), already checked for shape and size by the gateway.
 *
 * <p>The answer is binary, so that vectors travel as floats rather than decimal text: three 32-bit
 * little-endian integers (the number of vectors, their length, the tokens embedded), then every
 * vector's floats, IEEE 754 binary32 little-endian, vector after vector. Failures are reply failures
 * with an HTTP-like code and the message {@code param: text} for {@link #BAD_REQUEST}.
 *
 * @param count how many vectors
 * @param dimensions each vector's length
 * @param promptTokens the tokens embedded, over all inputs
 * @param vectors {@code count × dimensions} floats, little-endian
 */
public record EmbeddingsWire(int count, int dimensions, int promptTokens, Buffer vectors) {

  /** A request the worker refuses: a bad input, or a {@code dimensions} it does not compute. */
  public static final int BAD_REQUEST = 400;
  /** The worker's embeddings queue is full. */
  public static final int BUSY = 429;
  /** The worker computes no embeddings or is shutting down. */
  public static final int UNAVAILABLE = 503;

  private static final int HEADER = 3 * Integer.BYTES;

  /** The request for {@code input} (Strings and {@link JsonArray}s of ids); {@code dimensions} null when not asked. */
  public static JsonObject request(JsonArray input, Integer dimensions) {
    JsonObject r = new JsonObject().put("input", input);
    return dimensions == null ? r : r.put("dimensions", dimensions);
  }

  /** The answer for {@code vectors}, all of one length. */
  public static Buffer encode(float[][] vectors, int promptTokens) {
    int dims = vectors.length == 0 ? 0 : vectors[0].length;
    Buffer b = Buffer.buffer(HEADER + vectors.length * dims * Float.BYTES);
    b.appendIntLE(vectors.length).appendIntLE(dims).appendIntLE(promptTokens);
    for (float[] v : vectors) {
      if (v.length != dims) {
        throw new IllegalArgumentException("vectors of different lengths: " + v.length + " and " + dims);
      }
      for (float x : v) {
        b.appendFloatLE(x);
      }
    }
    return b;
  }

  /**
   * Reads an answer.
   *
   * @throws IllegalArgumentException it is not one (too short, or its sizes do not add up)
   */
  public static EmbeddingsWire decode(Buffer b) {
    if (b.length() < HEADER) {
      throw new IllegalArgumentException("an embeddings answer of " + b.length() + " bytes");
    }
    int count = b.getIntLE(0);
    int dims = b.getIntLE(4);
    int tokens = b.getIntLE(8);
    if (count < 0 || dims < 0 || tokens < 0 || (long) count * dims * Float.BYTES != b.length() - HEADER) {
      throw new IllegalArgumentException("an embeddings answer of " + b.length() + " bytes for " + count
          + " vectors of " + dims);
    }
    return new EmbeddingsWire(count, dims, tokens, b.slice(HEADER, b.length()));
  }

  /** Vector {@code i}'s floats as they travel: little-endian binary32, as OpenAI's base64 encoding wants them. */
  public Buffer vectorBytes(int i) {
    int size = dimensions * Float.BYTES;
    return vectors.slice(i * size, (i + 1) * size);
  }

  /** Vector {@code i}. */
  public float[] vector(int i) {
    float[] v = new float[dimensions];
    int base = i * dimensions * Float.BYTES;
    for (int k = 0; k < dimensions; k++) {
      v[k] = vectors.getFloatLE(base + k * Float.BYTES);
    }
    return v;
  }
}
