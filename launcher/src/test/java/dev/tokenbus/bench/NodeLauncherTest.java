package dev.tokenbus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class NodeLauncherTest {

  private static final NodeLauncher JAR = new NodeLauncher(List.of("/jdk/bin/java", "-Xss1m", "-XX:+UseZGC",
      "-XX:+UseLargePages", "-jar", "tokenbus.jar"));

  @Test
  void flagsGoAfterTheLaunchersOwnAndBeforeTheJar() {
    assertThat(JAR.withJvmFlags(List.of("-Xmx2g")).command())
        .containsExactly("/jdk/bin/java", "-Xss1m", "-XX:+UseZGC", "-XX:+UseLargePages", "-Xmx2g", "-jar",
            "tokenbus.jar");
  }

  @Test
  void aCollectorNamedReplacesTheLaunchersOneOnly() {
    // The JVM refuses two collectors; -XX:+UseLargePages is not one and stays.
    assertThat(JAR.withJvmFlags(List.of("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=10")).command())
        .containsExactly("/jdk/bin/java", "-Xss1m", "-XX:+UseLargePages", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=10",
            "-jar", "tokenbus.jar");
  }

  @Test
  void aClassPathCommandTakesThemBeforeItsClassPath() {
    NodeLauncher cp = new NodeLauncher(List.of("java", "-cp", "a.jar:b.jar", "dev.Main"));
    assertThat(cp.withJvmFlags(List.of("-XX:+UseSerialGC")).command())
        .containsExactly("java", "-XX:+UseSerialGC", "-cp", "a.jar:b.jar", "dev.Main");
    assertThat(cp.withJvmFlags(List.of())).isSameAs(cp);
    assertThatThrownBy(() -> new NodeLauncher(List.of("java", "Main")).withJvmFlags(List.of("-Xmx1g")))
        .isInstanceOf(IllegalStateException.class);
  }
}
