package dev.tokenbus.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CodecBenchmarkTest {

  @Test
  void producesATableForEveryCase() {
    String table = CodecBenchmark.run(500);
    assertThat(table.lines()).hasSize(6);
    assertThat(table).contains("| 1 token |", "| 1 token, 5 top logprobs |", "| 8 tokens |",
        "| 8 tokens, 5 top logprobs |");
  }

  @Test
  void binaryIsSmallerThanJsonForTypicalFrames() {
    for (int tokens : new int[] {1, 8}) {
      for (int top : new int[] {0, 5}) {
        TokensFrame frame = CodecBenchmark.typicalFrame(tokens, top);
        assertThat(FrameCodec.toBuffer(frame).length())
            .isLessThan(FrameJson.toJson(frame).toBuffer().length());
      }
    }
  }
}
