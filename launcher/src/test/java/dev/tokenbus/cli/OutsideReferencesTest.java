package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Sources, scripts and build files say what they mean themselves: none points to a file outside the
 * repository (such as notes beside it), which a reader of the repository cannot open. Only the test
 * models beside the repository ({@code ../shared/models}, data that tests skip without) may be named.
 */
class OutsideReferencesTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern OUTSIDE = Pattern.compile("shared/(?!models\\b)[\\w.-]+");

  private static List<Path> files() throws IOException {
    List<Path> files = new ArrayList<>(List.of(ROOT.resolve("pom.xml"), ROOT.resolve("Dockerfile"), ROOT.resolve(".ci/run")));
    for (String dir : List.of("bin", "conf", "common", "worker", "gateway", "client", "launcher")) {
      try (Stream<Path> walk = Files.walk(ROOT.resolve(dir))) {
        walk.filter(p -> !ROOT.relativize(p).toString().contains("target"))
            .filter(p -> p.toString().matches(".*(\\.(java|xml|yaml|yml|sh|properties|options|html|js)|/bin/[^/.]+)$"))
            .filter(Files::isRegularFile).forEach(files::add);
      }
    }
    return files;
  }

  @Test
  void noFileRefersOutsideTheRepository() throws IOException {
    List<String> found = new ArrayList<>();
    for (Path file : files()) {
      Matcher m = OUTSIDE.matcher(Files.readString(file));
      while (m.find()) {
        found.add(ROOT.relativize(file) + ": " + m.group());
      }
    }
    assertThat(found).as("references to files outside the repository: write the fact itself, or point into docs/")
        .isEmpty();
  }
}
