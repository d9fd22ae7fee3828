package dev.tokenbus.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the running tokenbus jar is, to start more processes of it. */
final class JarLocation {

  private JarLocation() {}

  static Path current() {
    try {
      Path p = Path.of(TokenbusCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!Files.isRegularFile(p)) {
        throw new IllegalStateException("not running from a jar (" + p + "): build it with bin/tokenbus");
      }
      return p;
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
