package dev.tokenbus.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Both releases open side by side, each is recognised by its exports, and a library driven as the
 * other release is refused with a message, never used (which would corrupt memory).
 */
@Tag("engine")
class ProfileSelfCheckTest {

  private static Path b4916() {
    try {
      return NativeLibraryLocator.locateJarLibrary(NativeLibraryLocator.defaultCacheDir());
    } catch (IOException e) {
      // The CUDA build's de.kherud classifier jar in some registries ships no library.
      assumeTrue(false, "no b4916 library on the class path: " + e.getMessage());
      throw new AssertionError(e);
    }
  }

  private static Path current() throws IOException {
    return NativeLibraryLocator.locateNpmLibraries(NativeLibraryLocator.defaultCacheDir());
  }

  @Test
  void eachProfileOpensItsOwnLibrary() throws IOException {
    b4916();
    assertThat(Llama.open(LlamaReleases.B4916, null).release()).isEqualTo(LlamaReleases.B4916);
    assertThat(Llama.open(LlamaReleases.V050, null).release()).isEqualTo(LlamaReleases.V050);
    assertThat(Llama.open(LlamaReleases.V050, null).library()).isEqualTo(current());
  }

  @Test
  void anExplicitLibraryIsRecognisedByItsExports() throws IOException {
    assertThat(Llama.open(null, current()).release()).isEqualTo(LlamaReleases.V050);
    assertThat(Llama.open(null, b4916()).release()).isEqualTo(LlamaReleases.B4916);
  }

  @Test
  void aB4916LibraryDrivenAsV050IsRefused() throws IOException {
    // Checked on a fresh binding, as if the library had not been opened before.
    Path old = b4916();
    assertThatThrownBy(() -> new LlamaApi(old, LlamaReleases.V050))
        .isInstanceOf(LlamaException.class).hasMessageContaining("does not export llama_get_memory")
        .hasMessageContaining("llama-profile");
  }

  @Test
  void aV050LibraryDrivenAsB4916FailsTheSelfCheck() throws IOException {
    // v0.5.0 still exports nothing that b4916 needs under another name except the KV functions, so
    // either the binding or the default-parameter check must refuse it.
    assertThatThrownBy(() -> new LlamaApi(current(), LlamaReleases.B4916).abi.verifyDefaults())
        .isInstanceOf(LlamaException.class).hasMessageContaining("b4916");
  }

  @Test
  void architecturesAreCheckedPerRelease() {
    b4916();
    Llama old = Llama.open(LlamaReleases.B4916, null);
    Llama now = Llama.open(LlamaReleases.V050, null);
    assertThat(old.knowsArchitecture("llama")).isTrue();
    assertThat(old.knowsArchitecture("qwen2")).isTrue();
    assertThat(old.knowsArchitecture("qwen3")).isFalse();
    assertThat(old.knowsArchitecture("gemma3")).isFalse();
    assertThat(now.knowsArchitecture("qwen3")).isTrue();
    assertThat(now.knowsArchitecture("gemma3")).isTrue();
    assertThat(now.knowsArchitecture("no-such-arch")).isFalse();
  }

  @Test
  void everyRegisteredReleaseOpensItsBundledLibraryAndIsRecognisedByItsExports() throws IOException {
    b4916();
    assertThat(LlamaReleases.ALL).startsWith(LlamaReleases.current()).doesNotHaveDuplicates();
    for (LlamaRelease release : LlamaReleases.ALL) {
      Path library = release.bundledLibrary(NativeLibraryLocator.defaultCacheDir());
      Llama opened = Llama.open(release, null);
      assertThat(opened.release()).as("%s", release).isSameAs(release);
      assertThat(opened.library()).isEqualTo(library);
      assertThat(LlamaReleases.recognise(library)).as("%s recognised", release).isSameAs(release);
      assertThat(LlamaReleases.parse(release.name())).isSameAs(release);
      assertThat(release.defaultModelUrl()).startsWith("https://").endsWith(".gguf");
    }
  }

  @Test
  void autoOpensTheFirstRegisteredReleaseUnlessTheSystemPropertyNamesOne() {
    LlamaRelease expected = LlamaReleases.fromSystemProperty() != null ? LlamaReleases.fromSystemProperty()
        : LlamaReleases.current();
    assertThat(Llama.open(null, null).release()).isSameAs(expected);
  }

  @Test
  void profileValuesParse() {
    assertThat(LlamaReleases.parse("auto")).isNull();
    assertThat(LlamaReleases.parse(null)).isNull();
    assertThat(LlamaReleases.parse("v0.5.0")).isEqualTo(LlamaReleases.V050);
    assertThat(LlamaReleases.parse("B4916")).isEqualTo(LlamaReleases.B4916);
    assertThat(LlamaReleases.parse("current")).isSameAs(LlamaReleases.current());
    assertThatThrownBy(() -> LlamaReleases.parse("b9999")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("llama-profile must be auto, current, v0.5.0 or b4916, got 'b9999'");
  }
}
