package dev.tokenbus.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Both releases open side by side, each is recognised by its exports, and a library driven as the
 * other release is refused with a message, never used (which would corrupt memory).
 */
class ProfileSelfCheckTest {

  private static Path b4916() {
    try {
      return NativeLibraryLocator.locate(null, NativeLibraryLocator.defaultCacheDir());
    } catch (IOException e) {
      // The CUDA build's de.kherud classifier jar in some registries ships no library.
      assumeTrue(false, "no b4916 library on the class path: " + e.getMessage());
      throw new AssertionError(e);
    }
  }

  private static Path current() throws IOException {
    return NativeLibraryLocator.locateCurrent(NativeLibraryLocator.defaultCacheDir());
  }

  @Test
  void eachProfileOpensItsOwnLibrary() throws IOException {
    b4916();
    assertThat(Llama.open(LlamaProfile.B4916, null).profile()).isEqualTo(LlamaProfile.B4916);
    assertThat(Llama.open(LlamaProfile.CURRENT, null).profile()).isEqualTo(LlamaProfile.CURRENT);
    assertThat(Llama.open(LlamaProfile.CURRENT, null).library()).isEqualTo(current());
  }

  @Test
  void anExplicitLibraryIsRecognisedByItsExports() throws IOException {
    assertThat(Llama.open(null, current()).profile()).isEqualTo(LlamaProfile.CURRENT);
    assertThat(Llama.open(null, b4916()).profile()).isEqualTo(LlamaProfile.B4916);
  }

  @Test
  void aB4916LibraryDrivenAsV050IsRefused() throws IOException {
    // Checked on a fresh binding, as if the library had not been opened before.
    Path old = b4916();
    assertThatThrownBy(() -> new LlamaApi(old, LlamaProfile.CURRENT))
        .isInstanceOf(LlamaException.class).hasMessageContaining("does not export llama_get_memory")
        .hasMessageContaining("llama-profile");
  }

  @Test
  void aV050LibraryDrivenAsB4916FailsTheSelfCheck() throws IOException {
    // v0.5.0 still exports nothing that b4916 needs under another name except the KV functions, so
    // either the binding or the default-parameter check must refuse it.
    assertThatThrownBy(() -> new LlamaApi(current(), LlamaProfile.B4916).abi.verifyDefaults())
        .isInstanceOf(LlamaException.class).hasMessageContaining("b4916");
  }

  @Test
  void architecturesAreCheckedPerRelease() {
    b4916();
    Llama old = Llama.open(LlamaProfile.B4916, null);
    Llama now = Llama.open(LlamaProfile.CURRENT, null);
    assertThat(old.knowsArchitecture("llama")).isTrue();
    assertThat(old.knowsArchitecture("qwen2")).isTrue();
    assertThat(old.knowsArchitecture("qwen3")).isFalse();
    assertThat(old.knowsArchitecture("gemma3")).isFalse();
    assertThat(now.knowsArchitecture("qwen3")).isTrue();
    assertThat(now.knowsArchitecture("gemma3")).isTrue();
    assertThat(now.knowsArchitecture("no-such-arch")).isFalse();
  }

  @Test
  void profileValuesParse() {
    assertThat(LlamaProfile.parse("auto")).isNull();
    assertThat(LlamaProfile.parse(null)).isNull();
    assertThat(LlamaProfile.parse("v0.5.0")).isEqualTo(LlamaProfile.CURRENT);
    assertThat(LlamaProfile.parse("B4916")).isEqualTo(LlamaProfile.B4916);
    assertThatThrownBy(() -> LlamaProfile.parse("b9999")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("llama-profile");
  }
}
