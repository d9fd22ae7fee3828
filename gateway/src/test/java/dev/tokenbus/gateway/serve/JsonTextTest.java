package dev.tokenbus.gateway.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.gateway.api.generate.TokenJson;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.TopLogprob;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** JsonText writes exactly what {@link JsonObject#encode()} writes, and SSE bytes are its UTF-8. */
class JsonTextTest {

  private static String text(Object json) {
    return JsonText.append(new StringBuilder(), json).toString();
  }

  @Test
  void stringsNeedingEscapesAndNumbersAtTheirEdgesAreWrittenAsEncodeWritesThem() {
    List<Object> values = new ArrayList<>(List.of("", "plain", "quote \" backslash \\ slash /", "\n\r\t\b\f",
        "\u0000\u0001\u001f\u007f", "é 世界 🎉", "\ud800 lone \udc00 surrogates", "\u2028\u2029",
        0, -1, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 0.0, -0.0, 1.0, -0.6931471805599453, 1e-300,
        Double.MAX_VALUE, Double.MIN_VALUE, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.5f,
        Float.NaN, Float.NEGATIVE_INFINITY, (short) 7, (byte) -3, true, false, new BigDecimal("1.50"),
        new BigInteger("123456789012345678901234567890"), Instant.ofEpochSecond(1_700_000_000, 5),
        new byte[] {1, 2, (byte) 255}, Buffer.buffer("buf"), FinishReason.LENGTH));
    for (Object v : values) {
      JsonObject o = new JsonObject().put("k", v);
      assertThat(text(o)).as(String.valueOf(v)).isEqualTo(o.encode());
      JsonArray a = new JsonArray().add(v).addNull();
      assertThat(text(a)).isEqualTo(a.encode());
    }
    JsonObject keys = new JsonObject().put("a\"b", 1).put("\n", 2).put("", new JsonObject()).put("x", new JsonArray());
    assertThat(text(keys)).isEqualTo(keys.encode());
  }

  @Test
  void randomDocumentsAndEveryStreamedPayloadMatchEncode() {
    Random random = new Random(11);
    for (int i = 0; i < 2_000; i++) {
      JsonObject doc = randomObject(random, 0);
      assertThat(text(doc)).isEqualTo(doc.encode());
    }
    for (int i = 0; i < 500; i++) {
      List<TopLogprob> top = new ArrayList<>();
      for (int k = random.nextInt(3); k > 0; k--) {
        top.add(new TopLogprob(random.nextInt(50_000), randomString(random), -random.nextDouble() * 20));
      }
      boolean last = random.nextBoolean();
      TokenData t = new TokenData(i, randomString(random), random.nextInt(50_000), -random.nextDouble() * 10, top,
          last, last ? FinishReason.STOP : null, random.nextBoolean());
      JsonObject payload = TokenJson.token(t);
      assertThat(text(payload)).isEqualTo(payload.encode());
      StringBuilder event = SseChannel.appendEvent(new StringBuilder(), "token", Integer.toString(i), payload);
      assertThat(event.toString()).isEqualTo("id: " + i + "\nevent: token\ndata: " + payload.encode() + "\n\n");
      assertThat(SseChannel.utf8(event).getBytes()).isEqualTo(event.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  private static JsonObject randomObject(Random random, int depth) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int n = random.nextInt(6); n > 0; n--) {
      map.put(randomString(random), randomValue(random, depth + 1));
    }
    return new JsonObject(map);
  }

  private static Object randomValue(Random random, int depth) {
    return switch (random.nextInt(depth < 4 ? 9 : 7)) {
      case 0 -> randomString(random);
      case 1 -> random.nextInt();
      case 2 -> random.nextLong();
      case 3 -> random.nextInt(4) == 0 ? Double.longBitsToDouble(random.nextLong()) : random.nextGaussian() * 1e3;
      case 4 -> random.nextBoolean();
      case 5 -> null;
      case 6 -> random.nextFloat();
      case 7 -> randomObject(random, depth);
      default -> {
        JsonArray a = new JsonArray();
        for (int n = random.nextInt(4); n > 0; n--) {
          a.add(randomValue(random, depth + 1));
        }
        yield a;
      }
    };
  }

  /** Any UTF-16 units: ASCII, control characters, escapes, other planes, lone surrogates. */
  private static String randomString(Random random) {
    StringBuilder s = new StringBuilder();
    for (int n = random.nextInt(12); n > 0; n--) {
      s.append(switch (random.nextInt(5)) {
        case 0 -> (char) random.nextInt(0x20);
        case 1 -> "\"\\/".charAt(random.nextInt(3));
        case 2 -> (char) (0xD800 + random.nextInt(0x800));
        case 3 -> (char) random.nextInt(0x10000);
        default -> (char) (0x20 + random.nextInt(0x5F));
      });
    }
    return s.toString();
  }
}
