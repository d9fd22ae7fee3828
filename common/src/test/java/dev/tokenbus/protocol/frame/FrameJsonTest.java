package dev.tokenbus.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class FrameJsonTest {

  @Test
  void everyFrameSurvivesJsonText() {
    for (Frame frame : FrameSamples.all()) {
      JsonObject text = new JsonObject(FrameJson.toJson(frame).encode());
      assertThat(FrameJson.fromJson(text)).as("%s", frame).isEqualTo(frame);
    }
  }

  @Test
  void namesAreSnakeCase() {
    JsonObject tokens = FrameJson.toJson(FrameSamples.all().stream().filter(TokensFrame.class::isInstance)
        .filter(f -> ((TokensFrame) f).tokens().size() > 1).findFirst().orElseThrow());
    assertThat(tokens.getString("type")).isEqualTo("tokens");
    assertThat(tokens.fieldNames()).contains("stream_id", "generated", "tokens");
    JsonObject first = tokens.getJsonArray("tokens").getJsonObject(0);
    assertThat(first.fieldNames()).contains("index", "text", "token_id", "logprob", "top_logprobs");
  }

  @Test
  void unknownTypeIsMalformed() {
    assertThatThrownBy(() -> FrameJson.fromJson(new JsonObject().put("type", "nope")))
        .isInstanceOf(MalformedFrameException.class);
    assertThatThrownBy(() -> FrameJson.fromJson(new JsonObject().put("type", "credit").put("credits", "x")))
        .isInstanceOf(MalformedFrameException.class);
  }
}
