package dev.tokenbus.cli;

import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/tokenbus}: the roles of a tokenbus node and its benchmarks. */
@Command(name = "tokenbus", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = "A distributed LLM text-generation cluster on Vert.x and llama.cpp.",
    subcommands = {RoleCommands.Standalone.class, RoleCommands.Gateway.class, RoleCommands.Worker.class,
        BenchCommand.class, ModelCommand.class, ClusterCommand.class, AotTrainCommand.class})
public final class TokenbusCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--config", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
      description = "YAML configuration (default: conf/tokenbus.yaml of this installation, if present).")
  String config;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(execute(args, System.getenv(), new PrintWriter(System.err, true)));
  }

  /** Runs a command line with configuration from {@code env} and the YAML file it names; returns the exit code. */
  static int execute(String[] args, Map<String, String> env, PrintWriter err) {
    CommandLine cmd = new CommandLine(new TokenbusCommand()).setCaseInsensitiveEnumValuesAllowed(true).setErr(err);
    LayeredDefaults defaults;
    try {
      defaults = new LayeredDefaults(LayeredDefaults.locate(args, env), env);
      defaults.checkKnown(cmd);
    } catch (LayeredDefaults.ConfigException e) {
      err.println("tokenbus: bad configuration: " + e.getMessage());
      return 2;
    }
    cmd.setDefaultValueProvider(defaults);
    // A bad value from the file or the environment is reported under the name the user gave it.
    cmd.setParameterExceptionHandler((ex, a) -> {
      String message = ex.getMessage();
      if (ex.getArgSpec() instanceof CommandLine.Model.OptionSpec o && o.longestName().startsWith("--")) {
        message += " (from " + defaults.origin(o.longestName().substring(2)) + ")";
      }
      err.println("tokenbus: bad configuration: " + message);
      return 2;
    });
    // Values of the right type but out of range are refused when the options are turned into settings.
    cmd.setExecutionExceptionHandler((ex, c, parsed) -> {
      if (ex instanceof IllegalArgumentException) {
        err.println("tokenbus: bad configuration: " + ex.getMessage() + origin(ex.getMessage(), c, defaults));
        return 2;
      }
      throw ex;
    });
    return cmd.execute(args);
  }

  /**
   * " (from ...)" for a message that begins with one of {@code cmd}'s option keys ("slots must be
   * ..."): where that value came from. Empty when the message names no option.
   */
  static String origin(String message, CommandLine cmd, LayeredDefaults defaults) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^([a-z][a-z0-9-]*)[ :]").matcher(
        message == null ? "" : message);
    if (!m.find()) {
      return "";
    }
    String key = m.group(1);
    CommandLine.Model.OptionSpec option = cmd.getCommandSpec().findOption("--" + key);
    if (option == null) {
      return "";
    }
    if (cmd.getParseResult() != null && cmd.getParseResult().hasMatchedOption("--" + key)) {
      return " (from the flag --" + key + ")";
    }
    String origin = defaults.origin(key);
    return origin.equals("--" + key) ? " (the default)" : " (from " + origin + ")";
  }
}
