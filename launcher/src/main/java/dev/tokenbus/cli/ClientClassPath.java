package dev.tokenbus.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The class path an application runs the Java client on, from the client module's build directory:
 * its jar, the runtime dependencies the build listed ({@code runtime-classpath.txt}), and the bench
 * jar (the first-stream probe). Jars only: a CDS archive or AOT cache refuses a directory.
 */
final class ClientClassPath {

  private ClientClassPath() {}

  /** The class path from {@code target}; an {@link IllegalStateException} says what to build when a part is missing. */
  static String of(Path target) throws IOException {
    Path list = target.resolve("runtime-classpath.txt");
    List<Path> jars = jars(target, "tokenbus-client-.*(?<!-bench)\\.jar");
    List<Path> probe = jars(target, "tokenbus-client-.*-bench\\.jar");
    if (jars.size() != 1 || probe.size() != 1 || !Files.isRegularFile(list)) {
      throw new IllegalStateException("no client build in " + target + " (the tokenbus-client jar, its -bench jar,"
          + " runtime-classpath.txt): build it with ./mvnw -B -o package -DskipTests");
    }
    List<String> parts = new ArrayList<>();
    parts.add(jars.get(0).toString());
    parts.add(Files.readString(list).strip());
    parts.add(probe.get(0).toString());
    return String.join(java.io.File.pathSeparator, parts);
  }

  private static List<Path> jars(Path dir, String regex) {
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().matches(regex)).toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
