package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.FinishReason;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.StreamErrorType;
import dev.tokenbus.protocol.Timings;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.Tool;
import dev.tokenbus.protocol.TopLogprob;
import dev.tokenbus.protocol.Usage;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** One or more frames of every type, covering nulls, unicode, top logprobs and every enum value. */
final class FrameSamples {

  static final String UNICODE = "héllo 日本語 🙂 \u0301 \u0000 \uFFFD";

  private FrameSamples() {}

  /** Frames JSON can carry too (finite numbers only). */
  static List<Frame> all() {
    List<Frame> frames = new ArrayList<>();
    StreamConfig config = StreamConfig.defaults().withSeed(4_294_967_294L).withStop(List.of("\n\n", "User:", "🙂"))
        .withTopLogprobs(5).withRepeatPenalty(1.1).withPenalties(-0.5, 0.25).withTimeoutMs(86_400_000L)
        .withLogitBias(java.util.Map.of(436, -100.0, 0, 100.0, 70000, 0.125));
    frames.add(new OpenFrame("s-1", "tokenbus.gateway.abc", "node-1", 32,
        new GenerationRequest("s-1", "Once upon a time " + UNICODE, config)));
    frames.add(new OpenFrame("s-2", "gw", null, 1, new GenerationRequest("s-2", "x", StreamConfig.defaults())));
    frames.add(new OpenFrame("s-3", null, null, 0, null));
    frames.add(new OpenFrame("s-5", "gw", null, 4, GenerationRequest.tokens("s-5", List.of(1, 0, 70000, 436), config)));
    frames.add(new OpenFrame("s-4~1", "gw", "node-1", 8, new GenerationRequest("s-4", "resumed", StreamConfig.defaults()),
        List.of(3, 0, 70000, 259)));
    frames.add(new OpenFrame("s-6@ab12~2", "gw", "node-1", 8, new GenerationRequest("s-6", "kept", config),
        List.of(5, 9), new OpenFrame.Resumable("sha256:3q2-7w" + UNICODE, 86_400_000L)));
    frames.add(new OpenFrame("s-4", "gw", "node-1", 8, GenerationRequest.chat("s-4", List.of(
        new ChatMessage("system", "Be brief."), new ChatMessage("user", UNICODE), new ChatMessage("assistant", ""),
        new ChatMessage("user", "and?")), config)));
    frames.add(new OpenFrame("s-5", "gw", "node-1", 8, GenerationRequest.chat("s-5", List.of(
        new ChatMessage("user", "Weather?"), new ChatMessage("assistant", "", "[{\"id\":\"abcdefghi\",\"type\":"
            + "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]", null),
        new ChatMessage("tool", "{\"t\":3}", null, "abcdefghi")), List.of(
        new Tool("get_weather", "The weather " + UNICODE, new JsonObject().put("type", "object")
            .put("properties", new JsonObject().put("city", new JsonObject().put("type", "string")))),
        new Tool("now", null, new JsonObject())), StreamConfig.defaults())));
    frames.add(new OpenFrame("s-7", "gw", "node-1", 8, GenerationRequest.chat("s-7", List.of(
        new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello!", null, null, "They greet " + UNICODE),
        new ChatMessage("user", "Bye")), config.toBuilder().reasoningBudget(512).separateReasoning(false).build())
        .withTemplateArgs(new JsonObject().put("enable_thinking", false).put("reasoning_effort", "low")
            .put("nested", new JsonObject().put("list", new io.vertx.core.json.JsonArray().add(1).add("x"))))));
    frames.add(new AcceptFrame("s-1", "tokenbus.worker.def", "node-2", 1234));
    frames.add(new AcceptFrame(null, null, null, 0));
    for (RefuseFrame.Reason reason : RefuseFrame.Reason.values()) {
      frames.add(new RefuseFrame("s-1", reason, "because " + reason, reason.retryElsewhere() ? null : "prompt"));
    }
    frames.add(new RefuseFrame("s-1", null, null, null));
    frames.add(new TokensFrame("s-1", 1, List.of(token(0, "Hello", List.of()))));
    frames.add(new TokensFrame("s-1", 0, List.of()));
    frames.add(new TokensFrame("s-1", 9, List.of(token(1, UNICODE, tops(5)), token(2, "", tops(1)),
        token(3, null, List.of()), new TokenData(4, " end", 2, -0.5, tops(20), true, FinishReason.STOP))));
    frames.add(new TokensFrame("s-8", 3, List.of(token(0, "", List.of()).withReasoning(true),
        token(1, "I think", tops(2)).withReasoning(true), token(2, "Yes", List.of()),
        new TokenData(3, "", 7, -0.5, List.of(), true, FinishReason.LENGTH, true))));
    for (FinishReason reason : FinishReason.values()) {
      frames.add(new TokensFrame("s-" + reason, Integer.MAX_VALUE, List.of(TokenData.end(77, "", reason))));
      frames.add(new EndFrame("s-1", new GenerationResult(reason, new Usage(12, 34),
          new Timings(0.5, 12.25, 1_000.125, 12, 34), reason == FinishReason.ERROR ? "engine exploded" : null,
          reason.ordinal() * 1_000_000_007L)));
    }
    frames.add(new EndFrame("s-1", new GenerationResult(null, null, null, null, -1)));
    frames.add(new EndFrame("s-1", new GenerationResult(FinishReason.STOP, new Usage(3, 4, 2), null, null, 7,
        "\n\nUser:" + UNICODE)));
    frames.add(new EndFrame("s-1", null));
    frames.add(new ErrorFrame("s-1", StreamErrorType.ENGINE_ERROR, "out of " + UNICODE));
    frames.add(new ErrorFrame("s-1", StreamErrorType.SERVER_ERROR, null));
    frames.add(new CreditFrame("s-1", 16));
    frames.add(new CreditFrame("s-1", Integer.MAX_VALUE));
    frames.add(new CreditFrame("s-1", -3));
    frames.add(new CancelFrame("s-1", "client went away"));
    frames.add(new CancelFrame("s-1", null));
    frames.add(new HeartbeatFrame("s-1", 0, "PROMPT"));
    frames.add(new HeartbeatFrame("s-1", 300_000, null));
    return frames;
  }

  /** Values only the binary codec carries faithfully: non-finite doubles and extreme numbers. */
  static List<Frame> binaryOnly() {
    return List.of(
        new TokensFrame("s-1", 3, List.of(
            new TokenData(0, "a", Integer.MIN_VALUE, Double.NEGATIVE_INFINITY,
                List.of(new TopLogprob(-1, "b", Double.NaN), new TopLogprob(Integer.MAX_VALUE, "c", -0.0)), false,
                null),
            new TokenData(Integer.MAX_VALUE, "z", -1, Double.MIN_VALUE, List.of(), true, FinishReason.LENGTH))),
        new EndFrame("s-1", new GenerationResult(FinishReason.STOP, new Usage(-1, Integer.MIN_VALUE),
            new Timings(Double.NaN, Double.POSITIVE_INFINITY, -0.0, -5, 0), "", Long.MIN_VALUE)),
        new EndFrame("s-1", new GenerationResult(FinishReason.STOP, null, null, null, Long.MAX_VALUE)));
  }

  static TokenData token(int index, String text, List<TopLogprob> top) {
    return new TokenData(index, text, 1000 + index, -0.125 * (index + 1), top, false, null);
  }

  static List<TopLogprob> tops(int n) {
    List<TopLogprob> top = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      top.add(new TopLogprob(i * 31, i % 2 == 0 ? " alt" + i : "é🙂" + i, -0.1 * (i + 1)));
    }
    return top;
  }
}
