package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AOT cache the build made next to the jar (launcher/pom.xml's training run): the JVM maps it and
 * loads the launcher's classes from it, it holds what the training run drove (every role's classes,
 * the cluster's, the routes'), and bin/tokenbus passes it only when it is newer than the jar. Tagged
 * packaged: it runs after the jar and the cache are made (launcher/pom.xml), not with the unit tests.
 */
@Tag("packaged")
class AotCacheTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path JAR = ROOT.resolve("launcher/target/tokenbus.jar");
  private static final Path CACHE = ROOT.resolve("launcher/target/tokenbus.aot");

  private record Run(int exit, String output) {}

  private static Run run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), output);
  }

  /** {@code java @conf/jvm.options FLAGS -jar tokenbus.jar ARGS}, with the JVM running this test. */
  private static Run java(List<String> flags, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
        "@" + ROOT.resolve("conf/jvm.options")));
    cmd.addAll(flags);
    cmd.addAll(List.of("-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    return run(cmd, Map.of());
  }

  @Test
  void theBuildMadeACacheNewerThanTheJar() throws Exception {
    assertThat(CACHE).isRegularFile();
    assertThat(Files.getLastModifiedTime(CACHE)).isGreaterThan(Files.getLastModifiedTime(JAR));
  }

  @Test
  void theJvmMapsTheCacheAndLoadsTheLaunchersClassesFromIt() throws Exception {
    // AOTMode=on: a cache the JVM cannot use is an error, not a silent fallback.
    Run r = java(List.of("-XX:AOTCache=" + CACHE, "-XX:AOTMode=on", "-Xlog:aot=info", "-Xlog:class+load=info"),
        "--version");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("Opened AOT cache " + CACHE)
        .contains("dev.tokenbus.cli.TokenbusCommand source: shared objects file")
        .doesNotContain("[error");
  }

  @Test
  void theCacheHoldsTheClassesOfEveryRoleTheClusterAndTheRoutes() throws Exception {
    Run r = java(List.of("-XX:AOTCache=" + CACHE, "-XX:AOTMode=on", "-XX:+PrintSharedArchiveAndExit"));
    assertThat(r.exit()).as(r.output()).isZero();
    for (String c : List.of("dev.tokenbus.gateway.GatewayVerticle", "dev.tokenbus.worker.WorkerVerticle",
        "dev.tokenbus.engine.LlamaEngine", "dev.tokenbus.gateway.api.generate.WebSocketSession",
        "com.hazelcast.instance.impl.HazelcastInstanceImpl", "io.netty.handler.ssl.SslHandler")) {
      assertThat(r.output()).as("the cache holds %s", c).containsPattern("\\d+: " + c.replace(".", "\\.") + " ");
    }
  }

  @Test
  void theLauncherPassesTheCacheWhenItIsNewerThanTheJar() throws Exception {
    Run r = run(List.of(ROOT.resolve("bin/tokenbus").toString(), "--version"),
        Map.of("TOKENBUS_JAVA_OPTS", "-Xlog:aot=info"));
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("Opened AOT cache " + CACHE).doesNotContain("[error");
  }

  @Test
  void theLauncherLeavesOutACacheOlderThanTheJar(@TempDir Path install) throws Exception {
    // An installation of its own: the launcher script, the flags, the jar, and a cache made before it.
    copyTree(ROOT.resolve("bin"), install.resolve("bin"));
    Files.createDirectories(install.resolve("conf"));
    Files.copy(ROOT.resolve("conf/jvm.options"), install.resolve("conf/jvm.options"));
    Path target = Files.createDirectories(install.resolve("launcher/target"));
    Path jar = Files.createSymbolicLink(target.resolve("tokenbus.jar"), JAR);
    Path stale = Files.writeString(target.resolve("tokenbus.aot"), "made for an older jar");
    Files.setLastModifiedTime(stale, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));
    Run r = run(List.of(install.resolve("bin/tokenbus").toString(), "--version"),
        Map.of("TOKENBUS_JAVA_OPTS", "-Xlog:aot=info"));
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("tokenbus").doesNotContain("tokenbus.aot").doesNotContain("[error");
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (var files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Path dest = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(p, dest, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
