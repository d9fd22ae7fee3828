package dev.tokenbus.gateway.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.json.DecodeException;
import java.io.IOException;

/**
 * Refuses JSON that parsers read differently: an object with the same key twice (one parser takes
 * the first, another the last; here it is an error naming the key), and anything after the one
 * value (a lenient reader stops at its end). Refuses JSON nested deeper than {@link #MAX_DEPTH}
 * levels, which every reader after this one walks recursively. Run over a body before it is
 * decoded; reading it costs one streaming pass, and no recursion.
 */
public final class StrictJson {

  /**
   * The deepest nesting of objects and arrays in a request: well above what any field needs (a
   * JSON Schema of 64 levels, the most the schema converter takes, nests about 130 deep).
   */
  static final int MAX_DEPTH = 256;

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private StrictJson() {}

  /**
   * Throws a {@link DecodeException} when {@code json} is not UTF-8 (overlong forms and encoded
   * surrogates included, which lenient decoders let through), not valid JSON, or repeats a key; a
   * {@link RequestValidationException} naming the top-level field when it nests too deep.
   */
  public static void check(byte[] json) {
    java.nio.charset.CharsetDecoder utf8 = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(json);
    String text;
    try {
      text = utf8.decode(in).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new DecodeException("the body is not valid UTF-8 (at byte " + in.position() + ")");
    }
    check(text);
  }

  private static void readOne(JsonParser p) throws IOException {
    JsonToken token = p.nextToken();
    if (token == null) {
      throw new DecodeException("no JSON value");
    }
    // Reads the whole value, every key checked, counting the depth as it goes.
    int depth = 0;
    do {
      if (token.isStructStart() && ++depth > MAX_DEPTH) {
        throw tooDeep(p);
      } else if (token.isStructEnd()) {
        depth--;
      }
    } while (depth > 0 && (token = p.nextToken()) != null);
    if (token == null) {
      throw new DecodeException("unexpected end of the JSON value");
    }
    if (p.nextToken() != null) {
      throw new DecodeException("unexpected content after the JSON value at character "
          + p.currentTokenLocation().getCharOffset());
    }
  }

  /** The depth error, naming the top-level field the too-deep value is in (none when the body is not an object). */
  private static RequestValidationException tooDeep(JsonParser p) {
    JsonStreamContext top = p.getParsingContext();
    while (top.getParent() != null && !top.getParent().inRoot()) {
      top = top.getParent();
    }
    String field = top.inObject() ? top.getCurrentName() : null;
    return new RequestValidationException(field, (field == null ? "the JSON value" : field)
        + " nests objects and arrays deeper than " + MAX_DEPTH + " levels");
  }

  /** As {@link #check(byte[])}, for a WebSocket text message. */
  public static void check(String json) {
    try (JsonParser p = FACTORY.createParser(json)) {
      readOne(p);
    } catch (StreamReadException e) {
      throw new DecodeException(e.getOriginalMessage());
    } catch (IOException e) {
      throw new DecodeException(e.getMessage());
    }
  }
}
