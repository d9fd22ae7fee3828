package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.ChatMessage;
import dev.tokenbus.protocol.GenerationRequest;
import dev.tokenbus.protocol.GenerationResult;
import dev.tokenbus.protocol.StreamConfig;
import dev.tokenbus.protocol.Timings;
import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.Tool;
import dev.tokenbus.protocol.TopLogprob;
import dev.tokenbus.protocol.Usage;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/** Writes a frame's type byte and fields; {@link FrameDecoder} reads them back in the same order. */
final class FrameEncoder {

  private FrameEncoder() {}

  static void encode(Frame frame, WireWriter w) {
    w.writeByte(WireCodes.typeOf(frame));
    w.writeString(frame.streamId());
    switch (frame) {
      case OpenFrame f -> {
        w.writeString(f.replyTo());
        w.writeString(f.gatewayNode());
        w.writeVarInt(f.window());
        w.writeBoolean(f.request() != null);
        if (f.request() != null) {
          writeRequest(f.request(), w);
        }
        w.writeVarInt(f.resume().size());
        for (int token : f.resume()) {
          w.writeSignedVarInt(token);
        }
        w.writeBoolean(f.resumable() != null);
        if (f.resumable() != null) {
          w.writeString(f.resumable().owner());
          w.writeVarLong(f.resumable().graceMs());
        }
      }
      case AcceptFrame f -> {
        w.writeString(f.workerEndpoint());
        w.writeString(f.workerNode());
        w.writeVarInt(f.promptTokens());
      }
      case RefuseFrame f -> {
        w.writeByte(WireCodes.refuseReason(f.reason()));
        w.writeString(f.message());
        w.writeString(f.param());
      }
      case TokensFrame f -> {
        w.writeVarInt(f.generated());
        w.writeVarInt(f.tokens().size());
        for (TokenData t : f.tokens()) {
          writeToken(t, w);
        }
      }
      case EndFrame f -> {
        w.writeBoolean(f.result() != null);
        if (f.result() != null) {
          writeResult(f.result(), w);
        }
      }
      case ErrorFrame f -> {
        w.writeString(f.type().wireName());
        w.writeString(f.message());
        w.writeString(f.moveTo());
      }
      case CreditFrame f -> w.writeVarInt(f.credits());
      case CancelFrame f -> w.writeString(f.reason());
      case HeartbeatFrame f -> {
        w.writeVarInt(f.generated());
        w.writeString(f.state());
      }
    }
  }

  private static void writeToken(TokenData t, WireWriter w) {
    w.writeVarInt(t.index());
    w.writeString(t.text());
    w.writeSignedVarInt(t.tokenId());
    w.writeDouble(t.logprob());
    // The finish reason's presence is what makes a token final (TokenData enforces it), so one byte says both;
    // its high bit says whether the text is reasoning (frames written before the flag existed have it clear).
    w.writeByte(WireCodes.finishReason(t.finishReason()) | (t.reasoning() ? WireCodes.REASONING_BIT : 0));
    w.writeVarInt(t.topLogprobs().size());
    for (TopLogprob top : t.topLogprobs()) {
      w.writeSignedVarInt(top.tokenId());
      w.writeString(top.text());
      w.writeDouble(top.logprob());
    }
  }

  private static void writeRequest(GenerationRequest r, WireWriter w) {
    w.writeString(r.id());
    w.writeString(r.prompt());
    w.writeVarInt(r.messages().size());
    for (ChatMessage m : r.messages()) {
      w.writeString(m.role());
      w.writeString(m.content());
      w.writeString(m.toolCalls());
      w.writeString(m.toolCallId());
      w.writeString(m.reasoningContent());
    }
    StreamConfig c = r.config();
    w.writeVarInt(c.maxTokens());
    w.writeDouble(c.temperature());
    w.writeVarInt(c.topK());
    w.writeDouble(c.topP());
    w.writeDouble(c.minP());
    w.writeDouble(c.repeatPenalty());
    w.writeSignedVarInt(c.repeatLastN());
    w.writeDouble(c.frequencyPenalty());
    w.writeDouble(c.presencePenalty());
    w.writeBoolean(c.seed() != null);
    if (c.seed() != null) {
      w.writeSignedVarLong(c.seed());
    }
    w.writeVarInt(c.stop().size());
    for (String s : c.stop()) {
      w.writeString(s);
    }
    w.writeSignedVarLong(c.streamDelayMs());
    w.writeVarInt(c.bufferSize());
    w.writeSignedVarLong(c.timeoutMs());
    w.writeVarInt(c.topLogprobs());
    w.writeString(c.grammar());
    w.writeBoolean(c.cachePrompt());
    w.writeVarInt(c.logitBias().size());
    for (Map.Entry<Integer, Double> bias : c.logitBias().entrySet()) {
      w.writeSignedVarInt(bias.getKey());
      w.writeDouble(bias.getValue());
    }
    w.writeSignedVarInt(c.reasoningBudget());
    w.writeBoolean(c.separateReasoning());
    w.writeVarInt(r.tools().size());
    for (Tool t : r.tools()) {
      w.writeString(t.name());
      w.writeString(t.description());
      w.writeString(t.parameters().encode());
    }
    w.writeVarInt(r.promptTokens().size());
    for (int token : r.promptTokens()) {
      w.writeSignedVarInt(token);
    }
    JsonObject args = r.templateArgs();
    w.writeString(args.isEmpty() ? null : args.encode());
  }

  private static void writeResult(GenerationResult r, WireWriter w) {
    w.writeByte(WireCodes.finishReason(r.finishReason()));
    Usage u = r.usage();
    w.writeBoolean(u != null);
    if (u != null) {
      w.writeVarInt(u.promptTokens());
      w.writeVarInt(u.completionTokens());
      w.writeVarInt(u.cachedTokens());
    }
    Timings t = r.timings();
    w.writeBoolean(t != null);
    if (t != null) {
      w.writeDouble(t.queueMs());
      w.writeDouble(t.promptMs());
      w.writeDouble(t.generationMs());
      w.writeVarInt(t.promptTokens());
      w.writeVarInt(t.generatedTokens());
    }
    w.writeString(r.error());
    w.writeSignedVarLong(r.seed());
    w.writeString(r.stopSequence());
  }
}
