package dev.tokenbus.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.vertx.core.json.DecodeException;
import java.io.IOException;

/**
 * Refuses JSON that parsers read differently: an object with the same key twice (one parser takes
 * the first, another the last; here it is an error naming the key), and anything after the one
 * value (a lenient reader stops at its end). Run over a body before it is decoded; reading it
 * costs one streaming pass.
 */
final class StrictJson {

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private StrictJson() {}

  /**
   * Throws a {@link DecodeException} when {@code json} is not UTF-8 (overlong forms and encoded
   * surrogates included, which lenient decoders let through), not valid JSON, or repeats a key.
   */
  static void check(byte[] json) {
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
    if (p.nextToken() == null) {
      throw new DecodeException("no JSON value");
    }
    p.skipChildren(); // reads the whole value, every key checked
    if (p.nextToken() != null) {
      throw new DecodeException("unexpected content after the JSON value at character "
          + p.currentTokenLocation().getCharOffset());
    }
  }

  /** As {@link #check(byte[])}, for a WebSocket text message. */
  static void check(String json) {
    try (JsonParser p = FACTORY.createParser(json)) {
      readOne(p);
    } catch (StreamReadException e) {
      throw new DecodeException(e.getOriginalMessage());
    } catch (IOException e) {
      throw new DecodeException(e.getMessage());
    }
  }
}
