package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * node-llama-cpp (where llama.cpp v0.5.0's libraries and source come from) is pinned once, in
 * pom.xml's {@code llama.npm.version}: no build file, script or main source names the version again.
 */
class NodeLlamaCppPinTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static String pomProperty(String name) throws IOException {
    Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(Files.readString(ROOT.resolve("pom.xml")));
    assertThat(m.find()).as("pom.xml defines %s", name).isTrue();
    return m.group(1);
  }

  /** Build files, scripts and main sources: where a second pin could hide. */
  private static List<Path> buildFiles() throws IOException {
    List<Path> files = new java.util.ArrayList<>(List.of(ROOT.resolve("Dockerfile"), ROOT.resolve(".ci/run")));
    try (Stream<Path> bin = Files.list(ROOT.resolve("bin"))) {
      bin.filter(Files::isRegularFile).forEach(files::add);
    }
    for (String module : List.of("common", "worker", "gateway", "client", "launcher")) {
      files.add(ROOT.resolve(module).resolve("pom.xml"));
      try (Stream<Path> src = Files.walk(ROOT.resolve(module).resolve("src/main"))) {
        src.filter(Files::isRegularFile).filter(p -> p.toString().matches(".*\\.(java|sh|xml|properties|txt)$"))
            .forEach(files::add);
      }
    }
    return files;
  }

  @Test
  void theVersionIsWrittenOnlyInTheRootPom() throws IOException {
    String version = pomProperty("llama.npm.version");
    String pom = Files.readString(ROOT.resolve("pom.xml"));
    assertThat(pom.split(Pattern.quote(version), -1)).as("%s in pom.xml", version).hasSize(2);
    for (Path file : buildFiles()) {
      assertThat(Files.readString(file)).as("%s names node-llama-cpp's version; read llama.npm.version from pom.xml",
          ROOT.relativize(file)).doesNotContain(version);
    }
  }

  @Test
  void buildLlamaReadsThePinFromThePom() throws IOException {
    assertThat(pomProperty("llama.npm.source.sha512")).matches("[0-9a-f]{128}");
    String script = Files.readString(ROOT.resolve("bin/build-llama"));
    assertThat(script).contains("NPM_VERSION=\"$(pom_property llama.npm.version)\"")
        .contains("NPM_SHA512=\"$(pom_property llama.npm.source.sha512)\"");
  }
}
