package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * The options of the node roles are described in three places: picocli (the source: {@code --help}),
 * README.md's configuration table and conf/tokenbus.yaml. Every option must be in both documents,
 * with picocli's default, and neither may list a key that is no option.
 */
@Tag("cluster")
class OptionDocsTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Set<String> NOT_CONFIGURATION = Set.of("help", "version", "config");
  private static final String HOW = " (picocli's @Option in dev.tokenbus.cli is the source: change README.md's"
      + " configuration table and conf/tokenbus.yaml to match it; `bin/tokenbus <role> --help` prints it)";

  /** Every option of standalone, gateway and worker, without --, with picocli's default (null: none). */
  private static Map<String, String> options() {
    Map<String, String> options = new LinkedHashMap<>();
    CommandLine root = new CommandLine(new TokenbusCommand());
    for (String role : List.of("standalone", "gateway", "worker")) {
      for (OptionSpec option : root.getSubcommands().get(role).getCommandSpec().options()) {
        String name = option.longestName().replaceFirst("^--", "");
        if (!NOT_CONFIGURATION.contains(name)) {
          String fallback = option.defaultValue();
          options.put(name, fallback == null || fallback.isEmpty() ? null : fallback);
        }
      }
    }
    return options;
  }

  /** conf/tokenbus.yaml's keys (commented out, as {@code # key: value  # what}) and their values. */
  private static Map<String, String> yamlKeys() throws Exception {
    Map<String, String> keys = new LinkedHashMap<>();
    Matcher m = Pattern.compile("(?m)^# ([a-z0-9-]+):(?: +([^#\\s]+))?").matcher(Files.readString(ROOT.resolve("conf/tokenbus.yaml")));
    while (m.find()) {
      keys.put(m.group(1), m.group(2));
    }
    return keys;
  }

  /** README.md's configuration table: each key (a row may name two) and its default column. */
  private static Map<String, String> readmeKeys() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    String table = readme.substring(readme.indexOf("| key | default | roles | meaning |"));
    table = table.substring(0, table.indexOf("\n\n"));
    Map<String, String> keys = new LinkedHashMap<>();
    for (String row : table.lines().skip(2).toList()) {
      String[] cells = row.split("\\|");
      Matcher key = Pattern.compile("`([a-z0-9-]+)`").matcher(cells[1]);
      while (key.find()) {
        keys.put(key.group(1), cells[2].strip());
      }
    }
    return keys;
  }

  @Test
  void everyOptionIsInTheReadmeTableAndTheYamlFileAndNothingElse() throws Exception {
    Set<String> options = new TreeSet<>(options().keySet());
    assertThat(new TreeSet<>(readmeKeys().keySet())).as("README.md's configuration table" + HOW).isEqualTo(options);
    assertThat(new TreeSet<>(yamlKeys().keySet())).as("conf/tokenbus.yaml's keys" + HOW).isEqualTo(options);
  }

  @Test
  void theDocumentsGivePicocliDefaults() throws Exception {
    Map<String, String> yaml = yamlKeys();
    Map<String, String> readme = readmeKeys();
    List<String> drift = new ArrayList<>();
    options().forEach((key, fallback) -> {
      if (fallback == null) {
        if (yaml.get(key) != null) {
          drift.add("conf/tokenbus.yaml gives " + key + " the value " + yaml.get(key) + ", but it has no default");
        }
        return;
      }
      if (!fallback.equals(yaml.get(key))) {
        drift.add("conf/tokenbus.yaml: " + key + ": " + yaml.get(key) + ", but the default is " + fallback);
      }
      if (readme.get(key) != null && !readme.get(key).matches("(?s).*(^|[^\\w.-])" + Pattern.quote(fallback) + "($|[^\\w.-]).*")) {
        drift.add("README.md: " + key + " | " + readme.get(key) + ", but the default is " + fallback);
      }
    });
    assertThat(drift).as("defaults that differ from picocli's" + HOW).isEmpty();
  }
}
