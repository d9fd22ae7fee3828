package dev.tokenbus.lab;

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
 * The lab tests run two classes at a time: each class's lab needs a name and a network of its own,
 * or two labs would tear down each other's hosts.
 */
class LabNamesTest {

  private static final Pattern UP = Pattern.compile("Lab\\.up\\(\\s*\"([a-z0-9]+)\",\\s*(\\d+)");

  @Test
  void everyLabTestClassHasItsOwnLabNameAndNetwork() throws IOException {
    List<String> names = new ArrayList<>();
    List<String> nets = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of("src/test/java/dev/tokenbus/lab"))) {
      for (Path f : files.filter(p -> p.toString().endsWith("Test.java")).toList()) {
        Matcher m = UP.matcher(Files.readString(f));
        while (m.find()) {
          names.add(m.group(1));
          nets.add(m.group(2));
        }
      }
    }
    assertThat(names).as("lab tests found").hasSizeGreaterThanOrEqualTo(8).doesNotHaveDuplicates();
    assertThat(nets).doesNotHaveDuplicates();
  }
}
