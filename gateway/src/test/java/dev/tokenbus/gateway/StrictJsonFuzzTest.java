package dev.tokenbus.gateway;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenbus.gateway.json.StrictJson;
import dev.tokenbus.protocol.RequestValidationException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;

/**
 * Any body the gateway reads: {@link StrictJson} either refuses it with a {@link DecodeException}
 * or a {@link RequestValidationException} (a 400 naming the problem) or passes it, and a body it passes decodes into Vert.x's JSON types
 * without any other error (no stack overflow on nesting, no runtime exception). Run by
 * {@code bin/fuzz} (coverage-guided) and by {@code bin/test} over the inputs checked in beside it.
 */
class StrictJsonFuzzTest {

  @FuzzTest
  void bodies(byte[] body) {
    try {
      StrictJson.check(body);
    } catch (DecodeException | RequestValidationException refused) {
      return;
    }
    Json.decodeValue(io.vertx.core.buffer.Buffer.buffer(body));
  }
}
