package dev.tokenbus.trace;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A debugging aid: each dispatch's hops, stamped where they happen, so that a dispatch's time splits
 * into the gateway's part, the worker's and the event bus's two legs between them. Off unless the
 * JVM runs with {@code -Dtokenbus.trace.dispatch=DIR}; off, each call is a test of a
 * {@code static final} false that the JIT removes.
 *
 * <p>On, each process appends a line per dispatch to {@code DIR/PID.txt}: a gateway's
 * ({@link #gateway}: {@code gateway STREAM TAKEN SENT ACCEPTED}) when its dispatcher took the request,
 * sent the OPEN and got the ACCEPT; a worker's ({@link #worker}: {@code worker STREAM RECEIVED
 * REPLIED}) when its handler got the OPEN and when it replied. The times are
 * {@link System#nanoTime()}, which every JVM on one Linux host reads from the same monotonic clock,
 * so a gateway's and a worker's lines for a stream join into its hops (done by {@code bench scale
 * --trace-dispatch}). Across hosts the clocks differ, and only each node's own part means anything.
 * Each line is written as it comes, from the event loop: a cost for debugging, never for production.
 */
public final class DispatchTrace {

  /** The system property naming the directory. */
  public static final String PROPERTY = "tokenbus.trace.dispatch";

  /** Whether tracing is on. */
  public static final boolean ENABLED = System.getProperty(PROPERTY) != null;

  /** What a gateway's line starts with. */
  public static final String GATEWAY = "gateway";

  /** What a worker's line starts with. */
  public static final String WORKER = "worker";

  private static PrintStream out;

  private DispatchTrace() {}

  /** A gateway's dispatch of {@code streamId}: taken by the dispatcher, OPEN sent, ACCEPT received. */
  public static void gateway(String streamId, long takenNanos, long sentNanos, long acceptedNanos) {
    if (ENABLED) {
      line(GATEWAY + ' ' + streamId + ' ' + takenNanos + ' ' + sentNanos + ' ' + acceptedNanos);
    }
  }

  /** A worker's part of {@code streamId}'s dispatch: its OPEN handled, its ACCEPT sent. */
  public static void worker(String streamId, long receivedNanos, long repliedNanos) {
    if (ENABLED) {
      line(WORKER + ' ' + streamId + ' ' + receivedNanos + ' ' + repliedNanos);
    }
  }

  private static synchronized void line(String line) {
    if (out == null) {
      Path dir = Path.of(System.getProperty(PROPERTY));
      try {
        Files.createDirectories(dir);
        out = new PrintStream(new FileOutputStream(dir.resolve(ProcessHandle.current().pid() + ".txt")
            .toFile(), true), true, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the dispatch trace in " + dir, e);
      }
    }
    out.println(line);
  }
}
