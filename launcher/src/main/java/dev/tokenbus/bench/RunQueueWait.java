package dev.tokenbus.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * How long a process's event-loop threads waited for a CPU while they had work: Linux's
 * {@code /proc/PID/task/TID/schedstat} (time on a CPU, time runnable on a run queue), for the threads
 * named {@code vert.x-eventloop-thread-N}. On a machine whose cores every process of a benchmark
 * shares, a token due while its relay thread waits on the run queue is late by that wait, whatever
 * the relay itself costs: this is the share of added latency that belongs to the machine's
 * scheduling, not to the code. NaN where {@code /proc} has no such figures (another OS, no
 * schedstats).
 */
final class RunQueueWait {

  /** What {@code /proc/PID/task/TID/comm} shows for Vert.x's event-loop threads (15 characters at most). */
  private static final String EVENT_LOOP = "vert.x-eventloo";

  /** Per event-loop thread id: nanoseconds on a CPU and waiting on a run queue, since the thread started. */
  record Sample(Map<Long, long[]> threads) {

    static final Sample NONE = new Sample(Map.of());

    /** The event-loop threads of process {@code pid} now. */
    static Sample of(long pid) {
      Map<Long, long[]> threads = new HashMap<>();
      Path tasks = Path.of("/proc", Long.toString(pid), "task");
      try (Stream<Path> list = Files.list(tasks)) {
        for (Path task : (Iterable<Path>) list::iterator) {
          try {
            if (!Files.readString(task.resolve("comm")).startsWith(EVENT_LOOP)) {
              continue;
            }
            String[] f = Files.readString(task.resolve("schedstat")).trim().split("\\s+");
            threads.put(Long.parseLong(task.getFileName().toString()), new long[] {Long.parseLong(f[0]),
                Long.parseLong(f[1])});
          } catch (IOException | RuntimeException gone) {
            // The thread ended meanwhile, or the kernel keeps no schedstats: leave it out.
          }
        }
      } catch (IOException | RuntimeException noProc) {
        return NONE;
      }
      return new Sample(threads);
    }
  }

  private RunQueueWait() {}

  /**
   * Of the event-loop threads in both samples, the one that ran the most between them (the relay's
   * loop): its run-queue wait over that time, in ms per second of {@code seconds}; NaN if none.
   */
  static double busiestLoopMsPerSecond(Sample before, Sample after, double seconds) {
    long bestCpu = -1;
    long bestWait = 0;
    for (Map.Entry<Long, long[]> e : after.threads().entrySet()) {
      long[] b = before.threads().get(e.getKey());
      if (b == null) {
        continue;
      }
      long cpu = e.getValue()[0] - b[0];
      if (cpu > bestCpu) {
        bestCpu = cpu;
        bestWait = e.getValue()[1] - b[1];
      }
    }
    return bestCpu < 0 || seconds <= 0 ? Double.NaN : bestWait / 1e6 / seconds;
  }
}
