package dev.tokenbus.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An {@link SseFloorServer} as a process of its own, started as the benchmark starts its nodes (the
 * same {@code java}, flags and jar or class path: {@link NodeLauncher#running}) on a free loopback
 * port. {@link #start} returns once its {@code /v1/status} answers; closing stops it (SIGTERM, then
 * SIGKILL if it lingers), and so does this JVM's exit (the server also exits by itself when this
 * process is gone).
 */
final class FloorProcess implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final String PORT_TAKEN = "Address already in use";
  private static final int PORT_ATTEMPTS = 3;

  private final Process process;
  private final int port;
  private final Path log;
  private final boolean ownLog;
  private final Thread reaper;

  private FloorProcess(Process process, int port, Path log, boolean ownLog) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.ownLog = ownLog;
    this.reaper = new Thread(process::destroyForcibly, "tokenbus-floor-server-reaper");
  }

  /**
   * Starts the server; again on another port when the one picked free was taken before it bound it.
   *
   * @param log where its output goes, or null for a temporary file deleted on close
   * @throws IllegalStateException with its output when it exits or does not answer in time
   */
  static FloorProcess start(NodeLauncher launcher, SseFloorServer.Pacing pacing, int itlMs, Path log)
      throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(launcher, pacing, itlMs, log);
      } catch (IllegalStateException e) {
        if (attempt == PORT_ATTEMPTS || e.getMessage() == null || !e.getMessage().contains(PORT_TAKEN)) {
          throw e;
        }
      }
    }
  }

  private static FloorProcess startOnce(NodeLauncher launcher, SseFloorServer.Pacing pacing, int itlMs, Path log)
      throws Exception {
    int port = LocalCluster.freePort();
    Path out = log != null ? log : Files.createTempFile("tokenbus-floor-server", ".log");
    Process p = launcher.running(SseFloorServer.class).start(List.of("--port", Integer.toString(port), "--itl-ms",
        Integer.toString(itlMs), "--pacing", pacing.label()), out);
    FloorProcess f = new FloorProcess(p, port, out, log == null);
    Runtime.getRuntime().addShutdownHook(f.reaper);
    try {
      GatewayStatus.await(port, s -> true, "the floor server", START_TIMEOUT, () -> p.isAlive() ? null
          : "the floor server exited with status " + p.exitValue() + ":\n" + read(out));
      return f;
    } catch (Exception | Error e) {
      f.close();
      throw e;
    }
  }

  int port() {
    return port;
  }

  Process process() {
    return process;
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (java.io.IOException e) {
      return "(its log could not be read: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    try {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
      }
    } finally {
      process.destroyForcibly(); // interrupted while waiting: it goes all the same
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException e) {
        // this JVM is exiting already: the hook runs anyway
      }
      if (ownLog) {
        try {
          Files.deleteIfExists(log);
        } catch (java.io.IOException e) {
          // a temporary file left behind is harmless
        }
      }
    }
  }
}
