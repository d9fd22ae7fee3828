package dev.tokenbus.bench;

import dev.tokenbus.engine.llama.FlashAttention;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's {@code llama-server}, started as a child process on a free loopback port to be
 * measured next to tokenbus. {@link #start} returns once its {@code /health} answers 200 (the model
 * is loaded); closing stops it (SIGTERM, then SIGKILL), and so does this JVM's exit.
 */
final class LlamaServer implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private final Process process;
  private final int port;
  private final Path log;
  private final Thread reaper;

  private LlamaServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.reaper = new Thread(process::destroyForcibly, "tokenbus-llama-server-reaper");
  }

  /**
   * The arguments it runs with: the model, {@code threads} for generation and for prompts,
   * {@code slots} parallel sequences with {@code contextPerSequence} cells each in a KV cache per
   * sequence (as tokenbus's engine has it), tokenbus's flash-attention setting ({@code -fa}) and
   * GPU layers ({@code -ngl}, -1 = all), on loopback.
   */
  static List<String> arguments(Path binary, Path model, int threads, int slots, int contextPerSequence,
      FlashAttention flashAttention, int gpuLayers, int port) {
    List<String> args = new ArrayList<>(List.of(binary.toString(), "-m", model.toString(), "-t",
        Integer.toString(threads), "-tb", Integer.toString(threads), "-np", Integer.toString(slots), "-c",
        Integer.toString(slots * contextPerSequence), "--no-kv-unified", "-fa", flashAttention.value()));
    if (gpuLayers != 0) {
      args.addAll(List.of("-ngl", gpuLayers < 0 ? "all" : Integer.toString(gpuLayers)));
    }
    args.addAll(List.of("--host", "127.0.0.1", "--port", Integer.toString(port)));
    return List.copyOf(args);
  }

  /** Starts it; its output goes to a temporary log file, whose tail a failure to start shows. */
  static LlamaServer start(Path binary, Path model, int threads, int slots, int contextPerSequence,
      FlashAttention flashAttention, int gpuLayers) throws Exception {
    if (!Files.isExecutable(binary)) {
      throw new IllegalArgumentException("not an executable file: " + binary);
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = Files.createTempFile("llama-server-", ".log");
    Process p = new ProcessBuilder(new ArrayList<>(arguments(binary, model, threads, slots, contextPerSequence, flashAttention,
        gpuLayers, port)))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    LlamaServer server = new LlamaServer(p, port, log);
    Runtime.getRuntime().addShutdownHook(server.reaper);
    try {
      server.awaitHealthy();
      return server;
    } catch (Exception | Error e) {
      server.close();
      throw e;
    }
  }

  private void awaitHealthy() throws Exception {
    URI health = URI.create("http://127.0.0.1:" + port + "/health");
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException("llama-server exited with status " + process.exitValue() + tail());
        }
        try {
          HttpResponse<Void> r = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding());
          if (r.statusCode() == 200) {
            return;
          }
        } catch (IOException e) {
          // not listening yet
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("llama-server was not healthy within " + START_TIMEOUT + tail());
        }
        process.waitFor(100, TimeUnit.MILLISECONDS); // a startup poll, off any measured path
      }
    }
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return "; " + log + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  int port() {
    return port;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
    }
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // this JVM is exiting already: the hook runs anyway
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // a temporary file: left for the system to clean
    }
  }
}
