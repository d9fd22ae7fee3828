package dev.tokenbus.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Configuration in three layers, each overriding the one before: a YAML file ({@code
 * conf/tokenbus.yaml}), environment variables, command-line flags. Every option {@code --some-name}
 * is the YAML key {@code some-name} (or nested, {@code some: {name: ...}}) and the variable
 * {@code TOKENBUS_SOME_NAME}. The option's own declaration gives its type, range and default, so
 * there is one schema for all three layers.
 */
final class LayeredDefaults implements CommandLine.IDefaultValueProvider {

  private final Map<String, String> file;
  private final Path fileName;
  private final Map<String, String> environment;

  LayeredDefaults(Path file, Map<String, String> environment) throws ConfigException {
    this.fileName = file;
    this.file = file == null ? Map.of() : read(file);
    this.environment = environment;
  }

  /** The YAML file named by {@code --config} or {@code TOKENBUS_CONFIG}, else {@code $TOKENBUS_HOME/conf/tokenbus.yaml} if there. */
  static Path locate(String[] args, Map<String, String> env) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        return Path.of(args[i + 1]);
      }
      if (args[i].startsWith("--config=")) {
        return Path.of(args[i].substring("--config=".length()));
      }
    }
    if (env.get("TOKENBUS_CONFIG") != null) {
      return Path.of(env.get("TOKENBUS_CONFIG"));
    }
    Path standard = Path.of(env.getOrDefault("TOKENBUS_HOME", "."), "conf", "tokenbus.yaml");
    return Files.isRegularFile(standard) ? standard : null;
  }

  static String environmentName(String key) {
    return "TOKENBUS_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || !option.longestName().startsWith("--")) {
      return null;
    }
    String key = option.longestName().substring(2);
    String fromEnv = environment.get(environmentName(key));
    if (fromEnv != null) {
      return fromEnv;
    }
    return file.get(key); // null: the option's own default
  }

  /** Where the value of {@code --key} came from, for error messages. */
  String origin(String key) {
    if (environment.get(environmentName(key)) != null) {
      return "environment variable " + environmentName(key);
    }
    if (file.containsKey(key)) {
      return fileName + ": " + key;
    }
    return "--" + key;
  }

  /** Rejects YAML keys that no option of {@code spec} (or its subcommands) knows: a typo must not pass silently. */
  void checkKnown(CommandLine root) throws ConfigException {
    java.util.Set<String> known = new java.util.HashSet<>();
    collect(root, known);
    for (String key : file.keySet()) {
      if (!known.contains(key)) {
        throw new ConfigException(fileName + ": unknown key '" + key + "'");
      }
    }
  }

  private static void collect(CommandLine cmd, java.util.Set<String> known) {
    for (OptionSpec o : cmd.getCommandSpec().options()) {
      if (o.longestName().startsWith("--")) {
        known.add(o.longestName().substring(2));
      }
    }
    for (CommandLine sub : cmd.getSubcommands().values()) {
      collect(sub, known);
    }
  }

  private static Map<String, String> read(Path path) throws ConfigException {
    Object root;
    try (Reader in = Files.newBufferedReader(path)) {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration file " + path + ": " + e.getMessage());
    } catch (YAMLException e) {
      throw new ConfigException(path + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    Map<String, String> flat = new LinkedHashMap<>();
    if (root == null) {
      return flat;
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new ConfigException(path + ": the top level must be a map of keys to values");
    }
    flatten("", map, flat, path);
    return flat;
  }

  private static void flatten(String prefix, Map<?, ?> map, Map<String, String> out, Path path) throws ConfigException {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = prefix + e.getKey();
      switch (e.getValue()) {
        case null -> { } // an empty value keeps the default
        case Map<?, ?> nested -> flatten(key + "-", nested, out, path);
        case List<?> list -> out.put(key, String.join(",", list.stream().map(String::valueOf).toList()));
        default -> out.put(key, String.valueOf(e.getValue()));
      }
    }
  }

  /** A configuration problem, named by key and source. */
  static final class ConfigException extends Exception {
    ConfigException(String message) {
      super(message);
    }
  }
}
