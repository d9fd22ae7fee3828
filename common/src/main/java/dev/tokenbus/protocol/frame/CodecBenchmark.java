package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.TokenData;
import dev.tokenbus.protocol.TopLogprob;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures what a TOKENS frame costs to encode and decode for the wire with {@link FrameCodec}
 * against JSON ({@link FrameJson}, as Vert.x's JsonObject codec would carry it: a length prefix and
 * the JSON text). Run it with {@code java -cp ... dev.tokenbus.protocol.frame.CodecBenchmark [iterations]}.
 * A rough single-threaded measurement (warm-up, then the best of several rounds), not a JMH run.
 */
public final class CodecBenchmark {

  private static final int ROUNDS = 5;
  private static final String[] WORDS = {" The", " quick", " brown", " fox", " jumps", " über", " 日本", " 🙂"};

  // Written so the JIT cannot drop the work being measured.
  private static volatile long sink;

  private CodecBenchmark() {}

  public static void main(String[] args) {
    int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    System.out.println(run(iterations));
  }

  /** Runs every case {@code iterations} times per round and returns a markdown table. */
  public static String run(int iterations) {
    StringBuilder table = new StringBuilder()
        .append("| TOKENS frame | binary ns/frame | binary bytes/frame | JSON ns/frame | JSON bytes/frame |"
            + " JSON/binary time |\n")
        .append("|---|---:|---:|---:|---:|---:|\n");
    for (int tokens : new int[] {1, 8}) {
      for (int top : new int[] {0, 5}) {
        TokensFrame frame = typicalFrame(tokens, top);
        double binaryNs = bestNanosPerFrame(frame, iterations, CodecBenchmark::binaryRoundTrip);
        double jsonNs = bestNanosPerFrame(frame, iterations, CodecBenchmark::jsonRoundTrip);
        table.append(String.format(Locale.ROOT, "| %d token%s%s | %.0f | %d | %.0f | %d | %.1fx |%n", tokens,
            tokens == 1 ? "" : "s", top == 0 ? "" : ", " + top + " top logprobs", binaryNs,
            FrameCodec.toBuffer(frame).length(), jsonNs, jsonBytes(frame).length(), jsonNs / binaryNs));
      }
    }
    return table.toString();
  }

  /** A frame as the worker sends it mid-generation: a stream id, ordinary token texts and logprobs. */
  static TokensFrame typicalFrame(int tokens, int topLogprobs) {
    List<TokenData> list = new ArrayList<>(tokens);
    for (int i = 0; i < tokens; i++) {
      List<TopLogprob> top = new ArrayList<>(topLogprobs);
      for (int k = 0; k < topLogprobs; k++) {
        top.add(new TopLogprob(1000 + 37 * k, WORDS[(i + k) % WORDS.length], -0.25 - 1.37 * k));
      }
      list.add(new TokenData(120 + i, WORDS[i % WORDS.length], 4000 + 13 * i, -0.0312 - 0.11 * i, top, false, null));
    }
    return new TokensFrame("cmpl-6f1c2a9e4b7d4e0c8a3f5b21", 120 + tokens, list);
  }

  private interface RoundTrip {
    int run(Frame frame);
  }

  private static double bestNanosPerFrame(Frame frame, int iterations, RoundTrip roundTrip) {
    long acc = 0;
    for (int i = 0; i < iterations; i++) {
      acc += roundTrip.run(frame);
    }
    long best = Long.MAX_VALUE;
    for (int round = 0; round < ROUNDS; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < iterations; i++) {
        acc += roundTrip.run(frame);
      }
      best = Math.min(best, System.nanoTime() - start);
    }
    sink += acc;
    return (double) best / iterations;
  }

  private static int binaryRoundTrip(Frame frame) {
    Buffer wire = FrameCodec.toBuffer(frame);
    TokensFrame back = (TokensFrame) FrameCodec.fromBuffer(wire);
    return back.tokens().size() + wire.length();
  }

  private static int jsonRoundTrip(Frame frame) {
    Buffer wire = jsonBytes(frame);
    TokensFrame back = (TokensFrame) FrameJson.fromJson(new JsonObject(wire.slice(Integer.BYTES, wire.length())));
    return back.tokens().size() + wire.length();
  }

  private static Buffer jsonBytes(Frame frame) {
    Buffer json = FrameJson.toJson(frame).toBuffer();
    return Buffer.buffer(json.length() + Integer.BYTES).appendInt(json.length()).appendBuffer(json);
  }
}
