package dev.tokenbus.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a probe process's start-up time went, from its {@code -Xlog:class+load,startuptime:file=F:uptime}
 * log: the JVM's own creation ({@code startuptime}'s "Create VM"), then phases that end where the
 * probe loaded a marker class (its main class, then its nested {@code Constructed}, {@code FirstToken}
 * and {@code SecondToken}): how many classes each phase loaded, how many of those came from a CDS
 * archive or AOT cache ("shared objects file"), and by library. A JVM on an AOT cache loads the
 * cache's classes, markers included, as it starts: its classes all count before main.
 */
public final class ClassLoadLog {

  /**
   * One phase.
   *
   * @param name what ends it
   * @param classes classes loaded in it
   * @param archived of which from an archive
   * @param byLibrary classes per library ({@link #library}), largest first
   */
  public record Phase(String name, int classes, int archived, Map<String, Integer> byLibrary) {}

  /**
   * One process's log.
   *
   * @param createVmMs the JVM's creation, before any application class; NaN when not logged
   * @param phases in order; a phase whose marker is not in the log is left out
   */
  public record Breakdown(double createVmMs, List<Phase> phases) {}

  private static final Pattern CLASS_LOAD = Pattern.compile("^\\[[\\d.]+s\\].* (\\S+) source: (.*)$");
  private static final Pattern CREATE_VM = Pattern.compile("^\\[[\\d.]+s\\].*Create VM, ([\\d.]+) secs");
  private static final String ARCHIVED = "shared objects file";

  private ClassLoadLog() {}

  /** The breakdown of a log of the probe whose main class is {@code probe}. */
  public static Breakdown parse(List<String> lines, String probe) {
    Map<String, String> markers = new LinkedHashMap<>();
    markers.put(probe, "JVM start to main");
    markers.put(probe + "$Constructed", "client built");
    markers.put(probe + "$FirstToken", "first stream");
    markers.put(probe + "$SecondToken", "second stream");
    double createVm = Double.NaN;
    List<Phase> phases = new ArrayList<>();
    int classes = 0;
    int archived = 0;
    Map<String, Integer> byLibrary = new LinkedHashMap<>();
    for (String line : lines) {
      Matcher vm = CREATE_VM.matcher(line);
      if (vm.find()) {
        createVm = Double.parseDouble(vm.group(1)) * 1e3;
        continue;
      }
      Matcher m = CLASS_LOAD.matcher(line);
      if (!m.matches()) {
        continue;
      }
      String name = markers.get(m.group(1));
      if (name != null) {
        phases.add(new Phase(name, classes, archived, largestFirst(byLibrary)));
        classes = 0;
        archived = 0;
        byLibrary = new LinkedHashMap<>();
        continue;
      }
      classes++;
      if (m.group(2).startsWith(ARCHIVED)) {
        archived++;
      }
      byLibrary.merge(library(m.group(1)), 1, Integer::sum);
    }
    return new Breakdown(createVm, phases);
  }

  /** The library a class belongs to, by its package: Netty, Vert.x, Jackson, JFR, the JDK, the client, else "other". */
  static String library(String className) {
    if (className.startsWith("io.netty.")) {
      return "netty";
    } else if (className.startsWith("io.vertx.")) {
      return "vertx";
    } else if (className.startsWith("com.fasterxml.jackson.") || className.startsWith("tools.jackson.")) {
      return "jackson";
    } else if (className.startsWith("jdk.jfr.")) {
      return "jfr";
    } else if (className.startsWith("dev.tokenbus.")) {
      return "client";
    } else if (className.startsWith("java.") || className.startsWith("jdk.") || className.startsWith("sun.")
        || className.startsWith("javax.")) {
      return "jdk";
    }
    return "other";
  }

  private static Map<String, Integer> largestFirst(Map<String, Integer> counts) {
    Map<String, Integer> sorted = new LinkedHashMap<>();
    counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return sorted;
  }

  /** One row per labelled breakdown, in Markdown: each phase's classes (archived), then the first stream's by library. */
  public static String table(List<String> labels, List<Breakdown> breakdowns) {
    List<String> names = breakdowns.stream().flatMap(b -> b.phases().stream()).map(Phase::name).distinct().toList();
    StringBuilder b = new StringBuilder("| logged run | create VM ms |");
    StringBuilder rule = new StringBuilder("|---|---:|");
    for (String n : names) {
      b.append(' ').append(n).append(": classes (archived) |");
      rule.append("---:|");
    }
    b.append(" first stream's classes by library |\n").append(rule).append("---|\n");
    for (int i = 0; i < labels.size(); i++) {
      Breakdown d = breakdowns.get(i);
      b.append("| ").append(labels.get(i)).append(String.format(Locale.ROOT, " | %.0f |", d.createVmMs()));
      Phase firstStream = null;
      for (String n : names) {
        Phase p = d.phases().stream().filter(x -> x.name().equals(n)).findFirst().orElse(null);
        if (p == null) {
          b.append(" - |");
          continue;
        }
        if (n.equals("first stream")) {
          firstStream = p;
        }
        b.append(String.format(Locale.ROOT, " %d (%d) |", p.classes(), p.archived()));
      }
      b.append(' ').append(firstStream == null ? "-" : firstStream.byLibrary().toString().replaceAll("[{}]", "")
          .replace('=', ' ')).append(" |\n");
    }
    return b.toString();
  }
}
