package dev.tokenbus.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelSourceTest {
  private static final String SHA = "0123456789abcdef".repeat(4);

  @Test
  void httpAndHttpsAreUrlsAndEverythingElseIsAPath() {
    assertThat(ModelSource.parse("https://example.org/m/model.gguf?download=true"))
        .isEqualTo(new ModelSource.Remote(URI.create("https://example.org/m/model.gguf?download=true"), null));
    assertThat(ModelSource.parse("HTTP://example.org/model.gguf")).isInstanceOf(ModelSource.Remote.class);
    assertThat(ModelSource.parse("models/model.gguf"))
        .isEqualTo(new ModelSource.LocalFile(Path.of("models/model.gguf"), null));
    assertThat(ModelSource.parse("file:///srv/model.gguf"))
        .isEqualTo(new ModelSource.LocalFile(Path.of("/srv/model.gguf"), null));
  }

  @Test
  void theExpectedHashIsNormalisedOrRefused() {
    assertThat(ModelSource.parse("m.gguf", "SHA256:" + SHA.toUpperCase()).expectedSha256()).isEqualTo(SHA);
    assertThat(ModelSource.parse("m.gguf", " ").expectedSha256()).isNull();
    assertThatThrownBy(() -> ModelSource.parse("https://example.org/m.gguf", "abc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a SHA-256");
  }

  @Test
  void aUrlWithoutAHostOrAnEmptyModelIsRefused() {
    assertThatThrownBy(() -> ModelSource.parse("https:///model.gguf")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ModelSource.parse("  ")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void credentialsAreLeftOutOfMessages() {
    var remote = (ModelSource.Remote) ModelSource.parse("https://user:secret@example.org/model.gguf");
    assertThat(remote.displayUrl()).isEqualTo("https://example.org/model.gguf");
  }

  @Test
  void cachedNamesKeepTheFileNameAndAddAHashOfTheWholeUrl() {
    String a = ModelCache.fileName(URI.create("https://example.org/a/model.Q4_K_M.gguf?download=true"));
    String b = ModelCache.fileName(URI.create("https://example.org/b/model.Q4_K_M.gguf?download=true"));

    assertThat(a).matches("model\\.Q4_K_M-[0-9a-f]{12}\\.gguf");
    assertThat(b).matches("model\\.Q4_K_M-[0-9a-f]{12}\\.gguf").isNotEqualTo(a);
    assertThat(ModelCache.fileName(URI.create("https://example.org/"))).matches("model-[0-9a-f]{12}");
    assertThat(ModelCache.fileName(URI.create("https://example.org/..%2F..%2Fetc%2Fpasswd"))).doesNotContain("/");
  }

  @Test
  void theCacheDirectoryFollowsTheEnvironment() {
    assertThat(ModelCache.defaultDirectory(Map.of("TOKENBUS_MODEL_CACHE", "/c", "XDG_CACHE_HOME", "/x"), "/home/u"))
        .isEqualTo(Path.of("/c"));
    assertThat(ModelCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "/x"), "/home/u"))
        .isEqualTo(Path.of("/x/tokenbus/models"));
    assertThat(ModelCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "relative"), "/home/u"))
        .isEqualTo(Path.of("/home/u/.cache/tokenbus/models"));
  }
}
