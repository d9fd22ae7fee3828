package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ClassLoadLog} reads a real JVM's log: a child JVM runs {@link MarkedProgram} (marker classes
 * named as the client's probe names them, and one class of the project's own loaded between two of
 * them) under {@code -Xlog:class+load,startuptime:file=...:uptime}, as {@code bench client-start}
 * runs its probe.
 */
class ClassLoadLogTest {

  @TempDir
  Path dir;

  @Test
  void phasesEndAtTheMarkersAndCountWhatEachLoaded() throws Exception {
    Path log = dir.resolve("class-load.log");
    Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
        "-Xlog:class+load,startuptime:file=" + log + ":uptime", "-cp", System.getProperty("java.class.path"),
        MarkedProgram.class.getName()).redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(dir.resolve("out"))).isZero();

    ClassLoadLog.Breakdown b = ClassLoadLog.parse(Files.readAllLines(log), MarkedProgram.class.getName());

    assertThat(b.createVmMs()).isPositive();
    assertThat(b.phases()).extracting(ClassLoadLog.Phase::name)
        .containsExactly("JVM start to main", "client built", "first stream", "second stream");
    ClassLoadLog.Phase start = b.phases().get(0);
    // The JDK's own classes before main, most of them from its default CDS archive.
    assertThat(start.classes()).isGreaterThan(100);
    assertThat(start.archived()).isPositive().isLessThanOrEqualTo(start.classes());
    assertThat(start.byLibrary()).containsKey("jdk");
    // Only the first stream's phase loaded a class of the project (the program's Payload).
    assertThat(b.phases().get(2).byLibrary()).containsEntry("client", 1);
    assertThat(b.phases().get(1).byLibrary()).doesNotContainKey("client");
    assertThat(b.phases().get(3).byLibrary()).doesNotContainKey("client");
  }

  @Test
  void librariesByPackage() {
    assertThat(List.of("io.netty.buffer.AllocateChunkEvent", "io.vertx.core.Vertx", "com.fasterxml.jackson.core.JsonToken",
        "jdk.jfr.Event", "dev.tokenbus.client.Tokenbus", "java.lang.String", "sun.nio.ch.Net", "org.example.App")
        .stream().map(ClassLoadLog::library).toList())
        .containsExactly("netty", "vertx", "jackson", "jfr", "client", "jdk", "jdk", "other");
  }

  /** Loads its markers in the probe's order, and {@link Payload} between the first two stream markers. */
  static final class MarkedProgram {

    static final class Constructed {}

    static final class FirstToken {}

    static final class SecondToken {}

    static final class Payload {}

    public static void main(String[] args) {
      List<Class<?>> loaded = List.of(Constructed.class, Payload.class, FirstToken.class, SecondToken.class);
      if (loaded.size() != 4) {
        throw new AssertionError(loaded);
      }
    }
  }
}
