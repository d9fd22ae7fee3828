package dev.tokenbus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/tokenbus}: the roles of a tokenbus node and its benchmarks. */
@Command(name = "tokenbus", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = "A distributed LLM text-generation cluster on Vert.x and llama.cpp.",
    subcommands = {RoleCommands.Standalone.class, RoleCommands.Gateway.class, RoleCommands.Worker.class,
        BenchCommand.class, ModelCommand.class})
public final class TokenbusCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    int code = new CommandLine(new TokenbusCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    System.exit(code);
  }
}
