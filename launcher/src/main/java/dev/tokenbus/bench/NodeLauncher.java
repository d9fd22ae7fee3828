package dev.tokenbus.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How to start a tokenbus node as a child process: this JVM's {@code java} and flags, then the
 * tokenbus jar (benchmarks, run from {@code bin/tokenbus}) or a class path and main class (tests,
 * run from the build's classes).
 *
 * @param command everything before the node's own arguments
 */
public record NodeLauncher(List<String> command) {

  public NodeLauncher {
    command = List.copyOf(command);
  }

  /** The jar, run with {@code jvmFlags}. */
  public static NodeLauncher jar(Path jar, List<String> jvmFlags) {
    List<String> cmd = javaWith(jvmFlags);
    cmd.add("-jar");
    cmd.add(jar.toString());
    return new NodeLauncher(cmd);
  }

  /** This JVM's class path and flags, running {@code main}. */
  public static NodeLauncher classPath(Class<?> main) {
    // A debugger or coverage agent of the parent must not be attached to the children too.
    List<String> cmd = javaWith(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).toList());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    return new NodeLauncher(cmd);
  }

  /**
   * The same {@code java}, flags and jar or class path, running {@code main} instead of the node's
   * main class: a helper process of a benchmark (a jar's classes are on its class path too).
   *
   * @throws IllegalStateException when this launcher was made by neither {@link #jar} nor {@link #classPath}
   */
  public NodeLauncher running(Class<?> main) {
    int n = command.size();
    List<String> cmd = new ArrayList<>(command);
    if (n >= 2 && command.get(n - 2).equals("-jar")) {
      cmd.set(n - 2, "-cp");
      cmd.add(main.getName());
    } else if (n >= 3 && command.get(n - 3).equals("-cp")) {
      cmd.set(n - 1, main.getName());
    } else {
      throw new IllegalStateException("not a jar's or a class path's command: " + command);
    }
    return new NodeLauncher(cmd);
  }

  /**
   * The same launcher with {@code flags} after this one's JVM flags. When they choose a garbage
   * collector ({@code -XX:+Use...GC}), the one this launcher chose, if any, is dropped: the JVM
   * refuses two.
   */
  public NodeLauncher withJvmFlags(List<String> flags) {
    if (flags.isEmpty()) {
      return this;
    }
    int main = command.indexOf("-jar") >= 0 ? command.indexOf("-jar") : command.indexOf("-cp");
    if (main < 0) {
      throw new IllegalStateException("not a jar's or a class path's command: " + command);
    }
    boolean choosesGc = flags.stream().anyMatch(NodeLauncher::choosesGc);
    List<String> cmd = new ArrayList<>(command.subList(0, main).stream()
        .filter(f -> !(choosesGc && choosesGc(f))).toList());
    cmd.addAll(flags);
    cmd.addAll(command.subList(main, command.size()));
    return new NodeLauncher(cmd);
  }

  private static boolean choosesGc(String flag) {
    return flag.startsWith("-XX:+Use") && flag.endsWith("GC");
  }

  /** Starts a node with {@code args}; its output goes to {@code log}, or nowhere when that is null. */
  public Process start(List<String> args, Path log) throws IOException {
    return start(args, log, java.util.Map.of());
  }

  /** Starts a node with {@code args} and these environment variables over this process's. */
  public Process start(List<String> args, Path log, java.util.Map<String, String> env) throws IOException {
    List<String> cmd = new ArrayList<>(command);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    pb.redirectOutput(log == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(log.toFile()));
    return pb.start();
  }

  private static List<String> javaWith(List<String> jvmFlags) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(jvmFlags);
    return cmd;
  }
}
