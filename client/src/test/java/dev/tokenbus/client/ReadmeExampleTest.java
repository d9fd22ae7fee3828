package dev.tokenbus.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.gateway.GatewayOptions;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's "Java client" section opens with a complete program; this compiles exactly that block
 * against the client's classpath and runs it in a child JVM against a running node: it must print
 * the greedy generation, the same text the client reads itself.
 */
class ReadmeExampleTest {

  @TempDir
  Path dir;

  /** The first {@code java} block after the "Java client" heading. */
  static String example() throws IOException {
    String readme = Files.readString(Path.of(System.getProperty("tokenbus.readme", "../README.md")));
    int section = readme.indexOf("\n## Java client");
    assertThat(section).as("README has a Java client section").isNotNegative();
    Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertThat(m.find(section)).as("the section has a java block").isTrue();
    return m.group(1);
  }

  @Test
  void theReadmeProgramPrintsTheGreedyGeneration() throws Exception {
    String source = example();
    Matcher cls = Pattern.compile("public\\s+(?:final\\s+)?class\\s+(\\w+)").matcher(source);
    assertThat(cls.find()).as("one public class").isTrue();
    String name = cls.group(1);
    Path file = dir.resolve(name + ".java");
    Files.writeString(file, source);
    String classpath = System.getProperty("java.class.path");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc = javac.run(null, diagnostics, diagnostics, "-cp", classpath, "-d", dir.toString(), file.toString());
    assertThat(rc).as("javac: " + diagnostics.toString(StandardCharsets.UTF_8)).isZero();

    try (Nodes nodes = Nodes.start(1, 0, 1, GatewayOptions.defaults())) {
      String prompt = "Once upon a time";
      String expected;
      try (Tokenbus client = Tokenbus.connect(nodes.url(0))) {
        TokenStream s = client.generate(prompt, StreamConfig.builder().temperature(0).build());
        StringBuilder sb = new StringBuilder();
        while (!s.isFinished()) {
          sb.append(s.next().text());
        }
        expected = sb.toString();
      }
      // The program's classpath: the client and its dependencies, without the test logging setup.
      String runtime = String.join(File.pathSeparator, java.util.Arrays.stream(classpath.split(File.pathSeparator))
          .filter(e -> !e.contains("logback")).toList());
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      Process p = new ProcessBuilder(List.of(java.toString(), "-cp", dir + File.pathSeparator + runtime,
          name, nodes.url(0), prompt)).redirectErrorStream(false).start();
      byte[] out = p.getInputStream().readAllBytes();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("exit status; stderr: " + err).isZero();
      assertThat(new String(out, StandardCharsets.UTF_8).strip()).isNotEmpty().isEqualTo(expected.strip());
    }
  }
}
