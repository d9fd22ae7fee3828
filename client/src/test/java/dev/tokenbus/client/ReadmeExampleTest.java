package dev.tokenbus.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.testing.TestCluster;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's "Java client" section shows a complete program; this compiles exactly that block, as an
 * application on Java 17 would: with a JDK 17's {@code javac --release 17} against the client jar
 * the build made, then runs it with that JDK's {@code java} on the jar and the client's runtime
 * dependencies alone (not this test's classpath) against a running node. It must print the greedy
 * generation, the same text the client reads itself, and the summary line. Without a JDK 17 it is
 * skipped, saying so.
 */
@Tag("cluster")
class ReadmeExampleTest {

  static final String BEGIN = "<!-- java-client-example:begin -->";
  static final String END = "<!-- java-client-example:end -->";

  @TempDir
  Path dir;

  /** The {@code java} block between the README's example markers. */
  static String example() throws IOException {
    String readme = Files.readString(Path.of(System.getProperty("tokenbus.readme", "../README.md")));
    int begin = readme.indexOf(BEGIN);
    int end = readme.indexOf(END);
    assertThat(begin).as("README marks its Java client example").isNotNegative().isLessThan(end);
    Matcher m = Pattern.compile("\\A\\s*```java\n(.*?)```\\s*\\z", Pattern.DOTALL)
        .matcher(readme.substring(begin + BEGIN.length(), end));
    assertThat(m.matches()).as("one java block between the markers").isTrue();
    return m.group(1);
  }

  /** A JDK 17: {@code -Dtokenbus.jdk17=DIR}, else one under {@code /usr/lib/jvm}. */
  static Optional<Path> jdk17() throws IOException {
    String configured = System.getProperty("tokenbus.jdk17");
    if (configured != null && !configured.isBlank()) {
      return Optional.of(Path.of(configured));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (Stream<Path> dirs = Files.list(jvms)) {
      return dirs.sorted().filter(d -> Files.isExecutable(d.resolve("bin/javac"))).filter(d -> {
        try {
          return Files.readString(d.resolve("release")).contains("JAVA_VERSION=\"17");
        } catch (IOException e) {
          return false;
        }
      }).findFirst();
    }
  }

  @Test
  void theReadmeProgramCompilesAndRunsOnJava17() throws Exception {
    Optional<Path> jdk = jdk17();
    if (jdk.isEmpty()) {
      String reason = "no JDK 17 in /usr/lib/jvm (or -Dtokenbus.jdk17=DIR): the README's client program was not"
          + " tried on Java 17";
      System.out.println("SKIPPED: " + reason);
      Assumptions.abort(reason);
    }
    Path jar = Path.of(System.getProperty("tokenbus.client.jar"));
    assertThat(jar).as("the client jar, made before the tests").isRegularFile();
    String runtime = Files.readString(Path.of(System.getProperty("tokenbus.client.runtime.classpath"))).strip();
    assertThat(runtime).as("the client's runtime dependencies").contains("vertx-core").doesNotContain("tokenbus");

    String source = example();
    Matcher cls = Pattern.compile("public\\s+(?:final\\s+)?class\\s+(\\w+)").matcher(source);
    assertThat(cls.find()).as("one public class").isTrue();
    String name = cls.group(1);
    Path file = dir.resolve(name + ".java");
    Files.writeString(file, source);
    String classpath = jar + File.pathSeparator + runtime;
    Result javac = run(List.of(jdk.get().resolve("bin/javac").toString(), "--release", "17", "-cp", classpath,
        "-d", dir.toString(), file.toString()));
    assertThat(javac.status).as("javac 17: " + javac.err + javac.out).isZero();

    try (TestCluster nodes = TestCluster.gateways(1, 0, 1, 1024, GatewayOptions.defaults())) {
      String prompt = "Once upon a time";
      StringBuilder expected = new StringBuilder();
      StreamSummary summary;
      try (Tokenbus client = Tokenbus.connect(nodes.url(0))) {
        TokenStream s = client.generate(prompt, StreamConfig.builder().temperature(0).build());
        while (!s.isFinished()) {
          expected.append(s.next().text());
        }
        summary = s.result().result();
      }
      assertThat(expected).isNotEmpty();
      Result program = run(List.of(jdk.get().resolve("bin/java").toString(), "-Dfile.encoding=UTF-8",
          "-Dsun.stdout.encoding=UTF-8", "-cp", dir + File.pathSeparator + classpath,
          name, nodes.url(0), prompt));
      assertThat(program.status).as("exit status; stderr: " + program.err).isZero();
      assertThat(program.out).isEqualTo(expected + "\n(" + summary.finishReason() + ", "
          + summary.completionTokens() + " tokens)\n");
    }
  }

  private record Result(int status, String out, String err) {}

  private static Result run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).start();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getErrorStream().readAllBytes();
      } catch (IOException e) {
        return new byte[0];
      }
    });
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(command.get(0) + " ended").isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
  }
}
