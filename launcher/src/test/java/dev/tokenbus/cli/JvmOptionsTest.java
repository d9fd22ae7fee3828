package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The JVM's flags have one source, {@code conf/jvm.options} (a java argument file): the launcher
 * script, the Docker image and the tests pass that file, and none of them spells a flag of its own.
 */
@Tag("cluster")
class JvmOptionsTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** The file's flags: every word outside comments, as the java launcher reads an argument file. */
  private static List<String> flags() throws Exception {
    return Files.readAllLines(ROOT.resolve("conf/jvm.options")).stream()
        .map(line -> line.replaceFirst("#.*", "").strip())
        .filter(line -> !line.isEmpty())
        .flatMap(line -> Arrays.stream(line.split("\\s+")))
        .toList();
  }

  @Test
  void theFileHoldsTheFlagsTheEngineNeeds() throws Exception {
    assertThat(flags()).contains("--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector");
  }

  @Test
  void testsRunWithTheFile() throws Exception {
    // Surefire's argLine is the argument file; the launcher expands it into this JVM's arguments.
    assertThat(ManagementFactory.getRuntimeMXBean().getInputArguments()).containsAll(flags());
  }

  @Test
  void launcherScriptAndDockerImagePassTheFileAndNoFlagOfTheirOwn() throws Exception {
    String script = Files.readString(ROOT.resolve("bin/tokenbus"));
    String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
    String pom = Files.readString(ROOT.resolve("pom.xml"));
    assertThat(script).contains("java\" @\"$ROOT/conf/jvm.options\"");
    assertThat(dockerfile).contains("COPY conf /app/conf")
        .containsPattern("ENTRYPOINT \\[\"java\", \"@/app/conf/jvm\\.options\",");
    assertThat(pom).contains("<argLine>@${maven.multiModuleProjectDirectory}/conf/jvm.options</argLine>");
    // Beside the file, each passes the AOT cache next to its jar: where it lies is the installation's.
    assertThat(script).contains("AOT_CACHE=\"${JAR%.jar}.aot\"").contains("-XX:AOTCache=$AOT_CACHE");
    assertThat(dockerfile).contains("\"-XX:AOTCache=/app/tokenbus.aot\"");
    assertThat(flags()).noneMatch(f -> f.startsWith("-XX:AOTCache"));
    for (String flag : flags()) {
      assertThat(script).as("bin/tokenbus spells %s itself", flag).doesNotContain(flag);
      assertThat(dockerfile).as("the Dockerfile spells %s itself", flag).doesNotContain(flag);
    }
  }
}
