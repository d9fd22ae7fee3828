package dev.tokenbus.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The curl binary, a process per request (a new connection each), timed by curl's own clock
 * ({@link CurlTrace}), so the process's start is not in the figures: TTFT from curl's connect to the
 * received block that holds the first token event; the first byte as curl's
 * {@code time_starttransfer}.
 */
final class CurlClient implements FirstTokenClient {

  private static final long TIMEOUT_SECONDS = 120;

  private final String url;
  private final SseLoad.Dialect dialect;

  CurlClient(int port, SseLoad.Dialect dialect) {
    this.url = "http://127.0.0.1:" + port + dialect.path();
    this.dialect = dialect;
  }

  /** Why curl cannot be used here, or null when {@code curl --version} runs. */
  static String unavailable() {
    try {
      Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? null
          : "`curl --version` did not exit with 0";
    } catch (IOException e) {
      return "no curl on the PATH (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** The command: the trace and the {@code -w} line on stdout, the body discarded. */
  List<String> command(String body) {
    return List.of("curl", "-sS", "-N", "--trace", "-", "--trace-time", "-o", "/dev/null",
        "-H", "Content-Type: application/json", "--data-binary", body,
        "-w", "\\n" + CurlTrace.START_TRANSFER + " %{" + CurlTrace.START_TRANSFER + "}\\n", url);
  }

  @Override
  public SseLoad.Stream stream(String body) throws Exception {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(command(body)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String trace = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("curl did not end within " + TIMEOUT_SECONDS + " s");
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("curl exited with " + p.exitValue() + " (see `man curl`, EXIT CODES)");
    }
    return CurlTrace.parse(trace).stream(dialect, t0);
  }
}
