package dev.tokenbus.cli;

import dev.tokenbus.cluster.ClusterCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tokenbus cluster credentials init|export|import|show}: the cluster's credentials, for spanning machines. */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "The cluster's credentials.",
    subcommands = ClusterCommand.Credentials.class)
final class ClusterCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Where the credentials are, as gateway and worker take it. */
  static final class Location {
    @Option(names = "--cluster-credentials", paramLabel = "DIR",
        description = "The credentials directory. Default: $XDG_CONFIG_HOME/tokenbus/cluster, else ~/.config/tokenbus/cluster.")
    Path dir;

    Path resolve() {
      return dir != null ? dir : ClusterCredentials.defaultDirectory(System.getenv());
    }
  }

  @Command(name = "credentials", mixinStandardHelpOptions = true,
      description = "Create, show, export or import the cluster CA and node certificate that every event-bus"
          + " connection is authenticated and encrypted with.",
      subcommands = {Init.class, Show.class, Export.class, Import.class})
  static final class Credentials implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(System.out);
    }
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create a new cluster: a CA and this machine's node certificate (gateway and worker do this on"
          + " first use). Refuses to replace existing credentials.")
  static final class Init implements Callable<Integer> {
    @picocli.CommandLine.Mixin Location location;

    @Override
    public Integer call() {
      Path dir = location.resolve();
      try {
        ClusterCredentials c = ClusterCredentials.create(dir);
        System.out.println("created cluster credentials in " + dir + " (CA " + c.fingerprint().substring(0, 16) + ")");
        return 0;
      } catch (IOException e) {
        System.err.println("tokenbus: cannot create credentials in " + dir + ": " + e.getMessage());
        return 2;
      }
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Print where the credentials are and whose CA they trust.")
  static final class Show implements Callable<Integer> {
    @picocli.CommandLine.Mixin Location location;

    @Override
    public Integer call() {
      Path dir = location.resolve();
      try {
        ClusterCredentials c = ClusterCredentials.load(dir);
        System.out.println("directory:   " + dir);
        System.out.println("CA:          " + c.fingerprint() + " (SHA-256)");
        System.out.println("node:        " + c.nodeSubject());
        System.out.println("can export:  " + (c.canIssue() ? "yes (this machine holds the CA key)" : "no (imported)"));
        return 0;
      } catch (IOException e) {
        System.err.println("tokenbus: " + e.getMessage());
        return 2;
      }
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Write a bundle for another machine: the CA certificate and a new node certificate and key signed"
          + " here (the CA key stays here). The file is readable by you only; move it by a private channel and"
          + " delete it once imported.")
  static final class Export implements Callable<Integer> {
    @picocli.CommandLine.Mixin Location location;

    @Parameters(paramLabel = "FILE", description = "The bundle to write (must not exist).")
    Path file;

    @Override
    public Integer call() {
      Path dir = location.resolve();
      try {
        ClusterCredentials.loadOrCreate(dir).credentials().exportBundle(file);
        System.out.println("wrote " + file + "; on the other machine: tokenbus cluster credentials import " + file);
        return 0;
      } catch (IOException e) {
        System.err.println("tokenbus: cannot export: " + e.getMessage());
        return 2;
      }
    }
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Install a bundle written by 'export' on another machine, so that this machine's nodes join that"
          + " cluster. Refuses to replace existing credentials.")
  static final class Import implements Callable<Integer> {
    @picocli.CommandLine.Mixin Location location;

    @Parameters(paramLabel = "FILE", description = "The bundle.")
    Path file;

    @Override
    public Integer call() {
      Path dir = location.resolve();
      try {
        ClusterCredentials c = ClusterCredentials.importBundle(file, dir);
        System.out.println("imported into " + dir + " (CA " + c.fingerprint().substring(0, 16) + ")");
        return 0;
      } catch (IOException e) {
        System.err.println("tokenbus: cannot import: " + e.getMessage());
        return 2;
      }
    }
  }
}
