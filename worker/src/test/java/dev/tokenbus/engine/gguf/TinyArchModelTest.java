package dev.tokenbus.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.gguf.TinyArchModel.Architecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TinyArchModelTest {

  @TempDir
  Path dir;

  @Test
  void byteTokensFollowGpt2sMapOneToOne() {
    assertThat(ByteLevelVocabulary.byteToken(' ')).isEqualTo("\u0120");
    assertThat(ByteLevelVocabulary.byteToken('a')).isEqualTo("a");
    assertThat(ByteLevelVocabulary.byteToken(0)).isEqualTo("\u0100");
    assertThat(ByteLevelVocabulary.byteToken('\n')).isEqualTo("\u010a");
    Set<String> seen = new HashSet<>();
    for (int b = 0; b < 256; b++) {
      assertThat(ByteLevelVocabulary.byteToken(b).codePointCount(0, ByteLevelVocabulary.byteToken(b).length())).isOne();
      seen.add(ByteLevelVocabulary.byteToken(b));
    }
    assertThat(seen).hasSize(256);
  }

  @ParameterizedTest
  @EnumSource(Architecture.class)
  void sameSeedSameBytesAndTheJavaPreCheckAcceptsTheFile(Architecture arch) throws IOException {
    Path a = dir.resolve("a.gguf");
    Path b = dir.resolve("b.gguf");
    TinyArchModel.writer(arch, 7).writeTo(a);
    TinyArchModel.writer(arch, 7).writeTo(b);
    assertThat(Files.mismatch(a, b)).isEqualTo(-1L);
    GgufInfo info = GgufValidator.validate(a);
    assertThat(info.architecture()).isEqualTo(arch.ggufName());
  }
}
