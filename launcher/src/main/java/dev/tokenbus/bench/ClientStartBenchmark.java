package dev.tokenbus.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Java client's first stream in a fresh JVM: {@code jvms} processes per configuration, each
 * running the client's probe ({@code dev.tokenbus.client.bench.FirstStreamProbe}, built beside the
 * client jar) on the client's own class path, as an application runs it. Each reports the time from
 * starting the process to its {@code main}, the client's construction, and the time from
 * {@code generate} to the first token of its first stream and of a second one. Configurations: each
 * {@code java} with each transport, without an archive, with an AppCDS archive (Java 17's dynamic
 * archive, {@code -XX:ArchiveClassesAtExit} on a training run, then {@code -XX:SharedArchiveFile}) and,
 * on Java 25 and later, with an AOT cache ({@code -XX:AOTCacheOutput}, then {@code -XX:AOTCache}); the
 * training run is one run of the same probe. Then one more process per configuration with
 * {@code -Xlog:class+load,startuptime}: where its time went, phase by phase ({@link ClassLoadLog}).
 */
public final class ClientStartBenchmark {

  /** The probe's main class, in the client module's bench classes. */
  public static final String PROBE = "dev.tokenbus.client.bench.FirstStreamProbe";

  /**
   * What to measure.
   *
   * @param url the gateway (a running node)
   * @param javas the {@code java} launchers to compare
   * @param transports {@code websocket}, {@code sse}
   * @param jvms measured processes per configuration; medians are reported
   * @param classPath the probe's class path: the client jar, its runtime dependencies, the probe
   * @param archives whether the AppCDS and AOT cache configurations are measured
   * @param extraFlags more configurations without an archive, one per entry, each with these flags
   */
  public record Options(String url, List<Path> javas, List<String> transports, int jvms, String classPath,
      boolean archives, List<String> extraFlags) {}

  /** One process: milliseconds from its start to its main, to the client built, to each stream's first token. */
  public record Run(double toMainMs, double constructMs, double firstTokenMs, double secondTokenMs, double exitMs) {}

  /** One configuration's runs and the phase breakdown of its logged process. */
  public record Row(String java, String transport, String config, List<Run> runs, ClassLoadLog.Breakdown breakdown) {}

  private static final Pattern PROBE_LINE = Pattern.compile("first-stream main-epoch-us=(\\d+) construct-ms=([\\d.]+)"
      + " first-token-ms=([\\d.]+) second-token-ms=([\\d.]+)");
  private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");

  private final Options options;
  private final PrintStream out;
  private final Path work;

  public ClientStartBenchmark(Options options, PrintStream out) throws IOException {
    this.options = options;
    this.out = out;
    this.work = Files.createTempDirectory("tokenbus-client-start");
  }

  /** Measures every configuration, prints the tables and returns the rows. */
  public List<Row> run() throws Exception {
    out.printf(Locale.ROOT, "client-start: %s, nproc %d; %d fresh JVM(s) per row, each creating a client and"
            + " reading two 4-token greedy streams one after the other%n", options.url(),
        Runtime.getRuntime().availableProcessors(), options.jvms());
    List<Row> rows = new ArrayList<>();
    try {
      for (Path java : options.javas()) {
        int feature = featureVersion(java);
        for (String transport : options.transports()) {
          String name = "Java " + (feature > 0 ? feature : java);
          rows.add(measure(java, name, transport, "no archive", List.of()));
          for (String extra : options.extraFlags()) {
            rows.add(measure(java, name, transport, extra, List.of(extra.trim().split("\\s+"))));
          }
          if (options.archives()) {
            Path jsa = work.resolve("app-" + rows.size() + ".jsa");
            train(java, transport, List.of("-XX:ArchiveClassesAtExit=" + jsa), jsa);
            rows.add(measure(java, name, transport, "AppCDS archive", List.of("-XX:SharedArchiveFile=" + jsa)));
            if (feature >= 25) {
              Path aot = work.resolve("app-" + rows.size() + ".aot");
              train(java, transport, List.of("-XX:AOTCacheOutput=" + aot), aot);
              rows.add(measure(java, name, transport, "AOT cache", List.of("-XX:AOTCache=" + aot)));
            }
          }
        }
      }
    } finally {
      try (var files = Files.list(work)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(work);
    }
    out.println();
    out.print(table(rows));
    out.println();
    out.print(ClassLoadLog.table(rows.stream().map(ClientStartBenchmark::label).toList(),
        rows.stream().map(Row::breakdown).toList()));
    return rows;
  }

  private Row measure(Path java, String name, String transport, String config, List<String> flags) throws Exception {
    List<Run> runs = new ArrayList<>();
    for (int i = 0; i < options.jvms(); i++) {
      Run r = probe(java, transport, flags, null);
      out.printf(Locale.ROOT, "  %s, %s, %s: main %.0f ms, client %.0f ms, first token %.1f ms, second %.1f ms,"
          + " exit %.0f ms%n", name, transport, config, r.toMainMs(), r.constructMs(), r.firstTokenMs(),
          r.secondTokenMs(), r.exitMs());
      runs.add(r);
    }
    Path log = work.resolve("class-load.log");
    List<String> logged = new ArrayList<>(flags);
    logged.add("-Xlog:class+load,startuptime:file=" + log + ":uptime");
    probe(java, transport, logged, null);
    ClassLoadLog.Breakdown b = ClassLoadLog.parse(Files.readAllLines(log), PROBE);
    Files.deleteIfExists(log);
    return new Row(name, transport, config, runs, b);
  }

  /** A training run that writes {@code archive}; fails when it did not. */
  private void train(Path java, String transport, List<String> flags, Path archive) throws Exception {
    probe(java, transport, flags, archive);
    if (!Files.isRegularFile(archive)) {
      throw new IllegalStateException("the training run with " + flags + " wrote no " + archive);
    }
  }

  private Run probe(Path java, String transport, List<String> flags, Path archive) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    cmd.addAll(flags);
    cmd.addAll(List.of("-cp", options.classPath(), PROBE, options.url(), transport));
    Path output = work.resolve("probe.out");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
    Instant start = Instant.now();
    long t0 = System.nanoTime();
    Process p = pb.start();
    // The AOT cache is assembled after the training run's main returns: it takes longer.
    if (!p.waitFor(archive != null ? 300 : 60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new IllegalStateException("the probe did not end: " + String.join(" ", cmd));
    }
    double exitMs = (System.nanoTime() - t0) / 1e6;
    String text = Files.readString(output);
    Files.deleteIfExists(output);
    Matcher m = PROBE_LINE.matcher(text);
    if (p.exitValue() != 0 || !m.find()) {
      throw new IllegalStateException("the probe failed (" + p.exitValue() + "): " + String.join(" ", cmd) + "\n"
          + text);
    }
    double toMain = (Long.parseLong(m.group(1)) - ChronoUnit.MICROS.between(Instant.EPOCH, start)) / 1e3;
    return new Run(toMain, Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
        Double.parseDouble(m.group(4)), exitMs);
  }

  /** The JDK's feature release from its {@code release} file, or 0 when there is none. */
  static int featureVersion(Path java) throws IOException {
    Path release = java.toAbsolutePath().getParent().getParent().resolve("release");
    if (!Files.isRegularFile(release)) {
      return 0;
    }
    Matcher m = JAVA_VERSION.matcher(Files.readString(release));
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  private static String label(Row r) {
    return r.java() + ", " + r.transport() + ", " + r.config();
  }

  /** The medians of every configuration, in Markdown. */
  public static String table(List<Row> rows) {
    StringBuilder b = new StringBuilder("| JVM, transport, archive | runs | start to main ms | client built ms |"
        + " first stream: first token ms | second stream: first token ms | main to first token ms |"
        + " process start to exit ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      b.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %.1f | %.0f | %.0f |%n", label(r),
          r.runs().size(), median(r.runs(), Run::toMainMs), median(r.runs(), Run::constructMs),
          median(r.runs(), Run::firstTokenMs), median(r.runs(), Run::secondTokenMs),
          median(r.runs(), x -> x.constructMs() + x.firstTokenMs()), median(r.runs(), Run::exitMs)));
    }
    return b.toString();
  }

  /** The median (nearest rank) of one figure over the runs. */
  static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
    return Percentiles.of(runs.stream().map(r -> f.applyAsDouble(r)).toList(), 50);
  }
}
