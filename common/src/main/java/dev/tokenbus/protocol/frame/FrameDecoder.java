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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads what {@link FrameEncoder} wrote. Anything else ends in a {@link MalformedFrameException}. */
final class FrameDecoder {

  // The fewest bytes one list element can take; counts are checked against them before allocating.
  private static final int MIN_TOKEN_BYTES = 13;
  private static final int MIN_TOP_LOGPROB_BYTES = 10;
  private static final int MIN_STRING_BYTES = 1;
  private static final int MIN_MESSAGE_BYTES = 5;
  private static final int MIN_TOOL_BYTES = 3;
  /** A token id (a varint, 1 byte at least) and its bias (a double). */
  private static final int MIN_LOGIT_BIAS_BYTES = 9;

  private FrameDecoder() {}

  static Frame decode(WireReader r) {
    int type = r.readByte();
    String streamId = r.readString();
    Frame frame = switch (type) {
      case WireCodes.OPEN -> new OpenFrame(streamId, r.readString(), r.readString(), r.readVarInt(),
          r.readBoolean() ? readRequest(r) : null, readTokenIds(r), r.readBoolean() ? readResumable(r) : null);
      case WireCodes.ACCEPT -> new AcceptFrame(streamId, r.readString(), r.readString(), r.readVarInt());
      case WireCodes.REFUSE -> new RefuseFrame(streamId, WireCodes.refuseReason(r.readByte()), r.readString(),
          r.readString());
      case WireCodes.TOKENS -> new TokensFrame(streamId, r.readVarInt(), readTokens(r));
      case WireCodes.END -> new EndFrame(streamId, r.readBoolean() ? readResult(r) : null);
      case WireCodes.ERROR -> new ErrorFrame(streamId, StreamErrorType.fromWire(r.readString()), r.readString(),
          r.readString());
      case WireCodes.CREDIT -> new CreditFrame(streamId, r.readVarInt());
      case WireCodes.CANCEL -> new CancelFrame(streamId, r.readString());
      case WireCodes.HEARTBEAT -> new HeartbeatFrame(streamId, r.readVarInt(), r.readString());
      default -> throw new MalformedFrameException("unknown frame type " + type);
    };
    r.expectEnd(frame.getClass().getSimpleName());
    return frame;
  }

  private static OpenFrame.Resumable readResumable(WireReader r) {
    String owner = r.readString();
    long graceMs = r.readVarLong();
    if (owner == null || graceMs < 1) {
      throw new MalformedFrameException("a resumable OPEN needs an owner and a grace period of at least 1 ms");
    }
    return new OpenFrame.Resumable(owner, graceMs);
  }

  private static List<TokenData> readTokens(WireReader r) {
    int count = r.readCount(MIN_TOKEN_BYTES, "token");
    List<TokenData> tokens = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int index = r.readVarInt();
      String text = r.readString();
      int tokenId = r.readSignedVarInt();
      double logprob = r.readDouble();
      int flags = r.readByte();
      FinishReason finish = WireCodes.finishReason(flags & ~WireCodes.REASONING_BIT);
      List<TopLogprob> top = readTopLogprobs(r);
      tokens.add(new TokenData(index, text, tokenId, logprob, top, finish != null, finish,
          (flags & WireCodes.REASONING_BIT) != 0));
    }
    return tokens;
  }

  private static List<TopLogprob> readTopLogprobs(WireReader r) {
    int count = r.readCount(MIN_TOP_LOGPROB_BYTES, "top logprob");
    if (count == 0) {
      return List.of();
    }
    TopLogprob[] top = new TopLogprob[count];
    for (int i = 0; i < count; i++) {
      top[i] = new TopLogprob(r.readSignedVarInt(), r.readString(), r.readDouble());
    }
    return List.of(top);
  }

  private static GenerationRequest readRequest(WireReader r) {
    String id = r.readString();
    String prompt = r.readString();
    int messageCount = r.readCount(MIN_MESSAGE_BYTES, "message");
    String[] roles = new String[messageCount];
    String[] contents = new String[messageCount];
    String[] toolCalls = new String[messageCount];
    String[] toolCallIds = new String[messageCount];
    String[] reasoning = new String[messageCount];
    for (int i = 0; i < messageCount; i++) {
      roles[i] = r.readString();
      contents[i] = r.readString();
      toolCalls[i] = r.readString();
      toolCallIds[i] = r.readString();
      reasoning[i] = r.readString();
    }
    StreamConfig config = new StreamConfig(r.readVarInt(), r.readDouble(), r.readVarInt(), r.readDouble(),
        r.readDouble(), r.readDouble(), r.readSignedVarInt(), r.readDouble(), r.readDouble(),
        r.readBoolean() ? r.readSignedVarLong() : null, readStrings(r), r.readSignedVarLong(), r.readVarInt(),
        r.readSignedVarLong(), r.readVarInt(), r.readString(), r.readBoolean(), readLogitBias(r),
        r.readSignedVarInt(), r.readBoolean());
    int toolCount = r.readCount(MIN_TOOL_BYTES, "tool");
    String[][] tools = new String[toolCount][];
    for (int i = 0; i < toolCount; i++) {
      tools[i] = new String[] {r.readString(), r.readString(), r.readString()};
    }
    List<Integer> promptTokens = readTokenIds(r);
    String templateArgs = r.readString();
    try {
      List<ChatMessage> messages = new ArrayList<>(messageCount);
      for (int i = 0; i < messageCount; i++) {
        messages.add(new ChatMessage(roles[i], contents[i], toolCalls[i], toolCallIds[i], reasoning[i]));
      }
      List<Tool> typed = new ArrayList<>(toolCount);
      for (String[] t : tools) {
        typed.add(new Tool(t[0], t[1], new JsonObject(t[2])));
      }
      return new GenerationRequest(id, prompt, messages, config, typed, promptTokens,
          templateArgs == null ? null : new JsonObject(templateArgs));
    } catch (RuntimeException e) {
      throw new MalformedFrameException("OPEN frame carries an invalid request: " + e.getMessage(), e);
    }
  }

  private static List<Integer> readTokenIds(WireReader r) {
    int count = r.readCount(1, "token id");
    List<Integer> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add(r.readSignedVarInt());
    }
    return ids;
  }

  private static Map<Integer, Double> readLogitBias(WireReader r) {
    int count = r.readCount(MIN_LOGIT_BIAS_BYTES, "logit bias");
    Map<Integer, Double> bias = new HashMap<>(count * 2);
    for (int i = 0; i < count; i++) {
      bias.put(r.readSignedVarInt(), r.readDouble());
    }
    return bias;
  }

  private static List<String> readStrings(WireReader r) {
    int count = r.readCount(MIN_STRING_BYTES, "string");
    List<String> strings = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String s = r.readString();
      if (s == null) {
        throw new MalformedFrameException("null in a list of strings");
      }
      strings.add(s);
    }
    return strings;
  }

  private static GenerationResult readResult(WireReader r) {
    FinishReason finish = WireCodes.finishReason(r.readByte());
    Usage usage = r.readBoolean() ? new Usage(r.readVarInt(), r.readVarInt(), r.readVarInt()) : null;
    Timings timings = r.readBoolean()
        ? new Timings(r.readDouble(), r.readDouble(), r.readDouble(), r.readVarInt(), r.readVarInt())
        : null;
    return new GenerationResult(finish, usage, timings, r.readString(), r.readSignedVarLong(), r.readString());
  }
}
