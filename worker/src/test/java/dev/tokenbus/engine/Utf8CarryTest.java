package dev.tokenbus.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8CarryTest {

  private static byte[] b(int... v) {
    byte[] out = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (byte) v[i];
    }
    return out;
  }

  @Test
  void holdsBackAnIncompleteCharacterUntilItIsComplete() {
    Utf8Carry c = new Utf8Carry();
    assertThat(c.append("caf".getBytes(StandardCharsets.UTF_8))).isEqualTo("caf");
    assertThat(c.append(b(0xC3))).isEmpty(); // first byte of é
    assertThat(c.append(b(0xA9, 0x21))).isEqualTo("é!");
  }

  @Test
  void fourByteCharacterSplitOverThreeTokens() {
    byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
    Utf8Carry c = new Utf8Carry();
    assertThat(c.append(b(emoji[0]))).isEmpty();
    assertThat(c.append(b(emoji[1], emoji[2]))).isEmpty();
    assertThat(c.append(b(emoji[3]))).isEqualTo("😀");
  }

  @Test
  void flushReplacesWhatCanNeverBeCompleted() {
    Utf8Carry c = new Utf8Carry();
    assertThat(c.append(b(0x61, 0xE2, 0x82))).isEqualTo("a");
    assertThat(c.flush()).isEqualTo("\uFFFD");
    assertThat(c.flush()).isEmpty();
  }

  @Test
  void invalidBytesPassThroughAsReplacementInsteadOfBlocking() {
    Utf8Carry c = new Utf8Carry();
    assertThat(c.append(b(0x80, 0x80, 0x80, 0x80, 0x41))).isEqualTo("\uFFFD\uFFFD\uFFFD\uFFFDA");
  }
}
