package dev.tokenbus.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A standalone node as a process of its own, as a user runs it ({@code bin/tokenbus standalone}),
 * on a free loopback port. {@link #start} returns once its {@code /ready} answers 200; closing
 * stops it (SIGTERM, then SIGKILL if it lingers) and deletes its log.
 */
public final class StandaloneProcess implements AutoCloseable {

  /** Time enough for a JVM and a model to start on a loaded machine; a crash is noticed at once. */
  private static final long READY_TIMEOUT_SECONDS = 120;

  private final Process process;
  private final int port;
  private final Path log;
  private final double readyMs;

  private StandaloneProcess(Process process, int port, Path log, double readyMs) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.readyMs = readyMs;
  }

  /**
   * Starts {@code standalone} with {@code args} (model, threads, slots, ...) beside its HTTP port.
   *
   * @throws IllegalStateException with the log's text when the node exits or is not ready in time
   */
  public static StandaloneProcess start(NodeLauncher launcher, List<String> args) throws Exception {
    int port = freePort();
    Path log = Files.createTempFile("tokenbus-standalone", ".log");
    List<String> all = new ArrayList<>(List.of("standalone", "--http-port", Integer.toString(port)));
    all.addAll(args);
    long t0 = System.nanoTime();
    Process p = launcher.start(all, log);
    try {
      return new StandaloneProcess(p, port, log, awaitReady(p, port, "/ready", t0, log));
    } catch (Exception | Error e) {
      stop(p);
      Files.deleteIfExists(log);
      throw e;
    }
  }

  /** Its HTTP port. */
  public int port() {
    return port;
  }

  /** From starting its process to its {@code /ready}'s first 200, in milliseconds. */
  public double readyMs() {
    return readyMs;
  }

  /**
   * Polls {@code path} of a server starting in {@code p} every millisecond until it answers 200.
   *
   * @return the milliseconds since {@code t0}
   */
  static double awaitReady(Process p, int port, String path, long t0, Path log) throws Exception {
    long deadline = t0 + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_SECONDS);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("the server exited with " + p.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        if (OneWriteRequest.send(port, "GET", path, null).status() == 200) {
          return (System.nanoTime() - t0) / 1e6;
        }
      } catch (IOException e) {
        // not listening yet
      }
      p.waitFor(1, TimeUnit.MILLISECONDS); // the poll's interval; the process's exit ends it early
    }
    throw new IllegalStateException(path + " did not answer 200 within " + READY_TIMEOUT_SECONDS + " s:\n"
        + Files.readString(log));
  }

  /** SIGTERM (a graceful stop), then SIGKILL after 30 s. */
  static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Stops the node (gracefully) and returns what it logged; closing after that only deletes the log. */
  public String stopAndReadLog() throws Exception {
    stop(process);
    return Files.readString(log);
  }

  @Override
  public void close() throws Exception {
    try {
      stop(process);
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
