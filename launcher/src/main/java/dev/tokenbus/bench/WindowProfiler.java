package dev.tokenbus.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * async-profiler attached to a node process for one measuring window: loaded into the running JVM
 * with {@code jcmd PID JVMTI.agent_load} when the window is about to start (so the warm-up and the
 * opening are not in it), and stopped when it ends, writing an HTML flame graph and the same
 * samples as collapsed stacks ({@code frame;frame;frame count} a line, for a summary by script).
 *
 * <p>The library is the one given, or the one in the local Maven repository's
 * {@code tools.profiler:async-profiler} jar for linux-x64 (newest version there), copied out of it
 * into the output directory; nothing is downloaded here (see {@link #MISSING}).
 */
public final class WindowProfiler {

  /** What async-profiler can sample, as its {@code event=} option takes them here. */
  static final Set<String> EVENTS = Set.of("cpu", "wall", "alloc", "lock", "itimer");
  static final String MISSING = "async-profiler is not in the local Maven repository (the launcher's tests fetch"
      + " it: ./mvnw -pl launcher test-compile), and no --async-profiler PATH (libasyncProfiler.so) was given";
  private static final java.util.regex.Pattern RETURN_CODE = java.util.regex.Pattern.compile("return code: (?!0\\b)");
  private static final Path MAVEN_JARS = Path.of(System.getProperty("user.home"), ".m2", "repository", "tools",
      "profiler", "async-profiler");

  private final Path library;
  private final Path dir;
  private final String event;

  private WindowProfiler(Path library, Path dir, String event) {
    this.library = library;
    this.dir = dir;
    this.event = event;
  }

  /**
   * A profiler writing to {@code dir}, sampling {@code event}, with {@code library} or, when null,
   * the one found in the local Maven repository.
   *
   * @throws IllegalArgumentException when the event is unknown or no library is found
   */
  public static WindowProfiler of(Path library, Path dir, String event) throws IOException {
    if (!EVENTS.contains(event)) {
      throw new IllegalArgumentException("profile-event must be one of " + EVENTS.stream().sorted().toList()
          + ", got '" + event + "'");
    }
    Files.createDirectories(dir);
    Path lib = library != null ? library : fromMaven(dir);
    if (!Files.isRegularFile(lib)) {
      throw new IllegalArgumentException("async-profiler library " + lib + " is not a file");
    }
    return new WindowProfiler(lib.toAbsolutePath(), dir.toAbsolutePath(), event);
  }

  private static Path fromMaven(Path dir) throws IOException {
    Path jar;
    try (Stream<Path> files = Files.exists(MAVEN_JARS) ? Files.walk(MAVEN_JARS, 2) : Stream.empty()) {
      jar = files.filter(p -> p.getFileName().toString().endsWith("-linux-x64.jar"))
          .max(Comparator.comparing(p -> p.getParent().getFileName().toString(), WindowProfiler::versionOrder))
          .orElseThrow(() -> new IllegalArgumentException(MISSING));
    }
    Path lib = dir.resolve(".async-profiler").resolve("libasyncProfiler.so");
    Files.createDirectories(lib.getParent());
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      var entry = zip.getEntry("linux-x64/libasyncProfiler.so");
      if (entry == null) {
        throw new IllegalArgumentException(jar + " holds no linux-x64/libasyncProfiler.so");
      }
      try (InputStream in = zip.getInputStream(entry)) {
        Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return lib;
  }

  /** Dotted versions by their numbers (4.10 after 4.9), anything else as text. */
  static int versionOrder(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c = x[i].matches("\\d{1,9}") && y[i].matches("\\d{1,9}")
          ? Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i])) : x[i].compareTo(y[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.length, y.length);
  }

  /** Starts sampling process {@code pid}, every thread, 1 ms apart. */
  void start(long pid) throws IOException, InterruptedException {
    agent(pid, "start,event=" + event + ",interval=" + ("alloc".equals(event) ? "512k" : "1ms")
        + ("lock".equals(event) ? "" : ",threads"));
  }

  /**
   * Stops sampling process {@code pid} and writes {@code name}.html and {@code name}.collapsed.
   *
   * @return the two files: the flame graph, then the collapsed stacks
   */
  List<Path> stop(long pid, String name) throws IOException, InterruptedException {
    String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
    Path collapsed = dir.resolve(safe + "." + event + ".collapsed");
    Path html = dir.resolve(safe + "." + event + ".html");
    agent(pid, "dump,collapsed,file=" + collapsed);
    agent(pid, "stop,flamegraph,file=" + html);
    return List.of(html, collapsed);
  }

  /**
   * Where a profile's samples went, in shares of all of them: the threads by what they are (event
   * loops, JIT compilers, the collector's threads, Hazelcast's, the rest), and the event loops'
   * samples by what their stacks were doing (socket writes, TLS, socket reads, waiting in
   * {@code epoll_wait}, the rest: Java work), read from collapsed stacks ({@code [thread tid=N];frame;...;frame count}).
   */
  record Summary(long samples, Map<String, Long> threads, Map<String, Long> eventLoop) {

    static Summary of(Path collapsed) throws IOException {
      Map<String, Long> threads = new LinkedHashMap<>();
      Map<String, Long> loop = new LinkedHashMap<>();
      for (String group : List.of("event loop", "JIT", "GC", "Hazelcast", "other")) {
        threads.put(group, 0L);
      }
      for (String part : List.of("socket write", "TLS", "socket read", "epoll_wait", "Java and other")) {
        loop.put(part, 0L);
      }
      long total = 0;
      try (Stream<String> lines = Files.lines(collapsed)) {
        for (String line : (Iterable<String>) lines::iterator) {
          int space = line.lastIndexOf(' ');
          if (space < 0) {
            continue;
          }
          long n = Long.parseLong(line.substring(space + 1).strip());
          String stack = line.substring(0, space);
          String thread = stack.substring(0, Math.max(0, stack.indexOf(';')));
          total += n;
          String group = thread.contains("eventloop") ? "event loop"
              : thread.contains("CompilerThre") ? "JIT"
              : thread.startsWith("[G1 ") || thread.startsWith("[GC ") || thread.startsWith("[ZGC")
                  || thread.startsWith("[VM Thread") ? "GC"
              : thread.startsWith("[hz.") ? "Hazelcast" : "other";
          threads.merge(group, n, Long::sum);
          if (group.equals("event loop")) {
            loop.merge(loopPart(stack), n, Long::sum);
          }
        }
      }
      return new Summary(total, threads, loop);
    }

    private static String loopPart(String stack) {
      if (stack.contains("SslHandler") || stack.contains("netty_tcnative") || stack.contains("OpenSsl")) {
        return "TLS";
      }
      if (stack.contains("writev") || stack.contains("doWrite") || stack.contains("sendto")) {
        return "socket write";
      }
      if (stack.contains("epoll_wait")) {
        return "epoll_wait";
      }
      if (stack.contains("doReadBytes") || stack.contains("readv") || stack.contains("recvfrom")) {
        return "socket read";
      }
      return "Java and other";
    }

    /** One line: each share in percent of all samples, the event loop's parts in brackets. */
    String line() {
      StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%,d samples:", samples));
      threads.forEach((group, n) -> {
        out.append(String.format(Locale.ROOT, " %s %.1f%%", group, percent(n)));
        if (group.equals("event loop")) {
          StringBuilder parts = new StringBuilder();
          eventLoop.forEach((part, m) -> parts.append(parts.isEmpty() ? "" : ", ")
              .append(String.format(Locale.ROOT, "%s %.1f%%", part, percent(m))));
          out.append(" (").append(parts).append(')');
        }
        out.append(',');
      });
      out.setLength(out.length() - 1);
      return out.toString();
    }

    private double percent(long n) {
      return samples == 0 ? 0 : 100.0 * n / samples;
    }
  }

  private void agent(long pid, String arguments) throws IOException, InterruptedException {
    // Quoted: jcmd would read "start,event=cpu" as its own key=value argument, not the agent's.
    Process p = new ProcessBuilder(ScaleBenchmark.JCMD.toString(), Long.toString(pid), "JVMTI.agent_load",
        library.toString(), '"' + arguments + '"').redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("jcmd " + pid + " JVMTI.agent_load did not finish within 60 s");
    }
    // jcmd says the agent's own answer as "return code: N"; async-profiler answers 0 when it did as asked.
    if (p.exitValue() != 0 || RETURN_CODE.matcher(out).find()) {
      throw new IOException("async-profiler in process " + pid + " (" + arguments + "): " + out.strip());
    }
  }
}
