package dev.tokenbus.trace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A debugging aid: where the time goes from a request's arrival to its first token's bytes on the
 * wire, stage by stage, in one JVM (a standalone node, or a benchmark that runs one). Off unless
 * the JVM runs with {@code -Dtokenbus.trace.first-token=true}; off, every {@link #mark} is a test
 * of a {@code static final} false that the JIT removes, so it costs nothing on the hot path.
 *
 * <p>It traces one request at a time: {@link #begin} starts a trace, each stage keeps the first
 * time it is reached after that, and the trace is recorded when the first token is written to the
 * client. Concurrent requests mix their marks; measure with one request in flight (as the TTFT
 * figures of {@code bench compare} do).
 */
public final class FirstTokenTrace {

  /** What a node's log line with its {@link #summary} at shutdown starts with. */
  public static final String LOG_HEADER = "first-token trace: ";

  /** Whether tracing is on ({@code -Dtokenbus.trace.first-token=true}). */
  public static final boolean ENABLED = Boolean.getBoolean("tokenbus.trace.first-token");

  /** The stages, in the order a request passes them. */
  public enum Stage {
    HTTP_REQUEST("gateway: request routed (headers parsed)"),
    BODY_READ("gateway: body read, request validated"),
    OPEN_SENT("gateway: OPEN sent to the worker"),
    WORKER_OPEN("worker: OPEN received on its event loop"),
    SUBMIT("worker: submit starts (template, tokenizing)"),
    QUEUED("engine: tokenized, queued for the decode loop"),
    ACCEPTED("gateway: ACCEPT received (the relay to the client starts)"),
    ADMITTED("decode thread: woke and admitted it"),
    STEP_START("decode thread: first step starts (llama_decode)"),
    STEP_END("decode thread: first step returned"),
    TOKEN_SAMPLED("decode thread: first token sampled, handed to its sink"),
    FRAME_SENT("worker: TOKENS frame sent"),
    GATEWAY_TOKENS("gateway: TOKENS frame received"),
    SSE_WRITE("gateway: first token event written to the response");

    private final String label;

    Stage(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private static final Stage[] STAGES = Stage.values();
  private static final AtomicLongArray CURRENT = new AtomicLongArray(STAGES.length);
  private static final List<long[]> RECORDED = new ArrayList<>();

  private FirstTokenTrace() {}

  /** Starts a trace: a request arrived. */
  public static void begin() {
    if (ENABLED) {
      for (int i = 0; i < STAGES.length; i++) {
        CURRENT.set(i, 0);
      }
      CURRENT.set(0, System.nanoTime());
    }
  }

  /** The request reached {@code stage} (only its first arrival after {@link #begin} counts). */
  public static void mark(Stage stage) {
    if (ENABLED) {
      long now = System.nanoTime();
      if (CURRENT.get(0) != 0 && CURRENT.compareAndSet(stage.ordinal(), 0, now) && stage == Stage.SSE_WRITE) {
        long[] trace = new long[STAGES.length];
        for (int i = 0; i < trace.length; i++) {
          trace[i] = CURRENT.get(i);
        }
        synchronized (RECORDED) {
          RECORDED.add(trace);
        }
      }
    }
  }

  /**
   * A Markdown table of the recorded traces: for each stage, the median time since the previous
   * stage reached and since the request arrived, in microseconds; empty when nothing was recorded.
   */
  public static String summary() {
    List<long[]> traces;
    synchronized (RECORDED) {
      traces = new ArrayList<>(RECORDED);
    }
    if (traces.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%d requests, medians in µs%n%n", traces.size()));
    b.append("| stage | since the previous stage | since the request arrived |\n|---|---:|---:|\n");
    for (int i = 1; i < STAGES.length; i++) {
      int stage = i;
      double step = median(traces.stream().filter(t -> t[stage] != 0)
          .mapToLong(t -> t[stage] - previous(t, stage)).toArray());
      double total = median(traces.stream().filter(t -> t[stage] != 0).mapToLong(t -> t[stage] - t[0]).toArray());
      b.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f |%n", STAGES[i].label(), step / 1e3, total / 1e3));
    }
    return b.toString();
  }

  private static long previous(long[] trace, int stage) {
    for (int i = stage - 1; i >= 0; i--) {
      if (trace[i] != 0) {
        return trace[i];
      }
    }
    return trace[0];
  }

  private static double median(long[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    Arrays.sort(values);
    return values[values.length / 2];
  }
}
