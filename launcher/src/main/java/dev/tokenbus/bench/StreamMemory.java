package dev.tokenbus.bench;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What one open, idle stream costs a standalone node: JVM heap after a full GC, process RSS and KV
 * cells, before and with N streams held open.
 */
final class StreamMemory {

  /** Heap and RSS in bytes, KV cells and active sequences as the worker reports them. */
  record Snapshot(long heapBytes, long rssBytes, int kvUsed, int active) {}

  /** The node before and with the streams open. */
  record Result(int streams, Snapshot before, Snapshot with) {
    double heapPerStream() {
      return (double) (with.heapBytes() - before.heapBytes()) / streams;
    }

    double rssPerStream() {
      return (double) (with.rssBytes() - before.rssBytes()) / streams;
    }

    double kvPerStream() {
      return (double) (with.kvUsed() - before.kvUsed()) / streams;
    }
  }

  private StreamMemory() {}

  static Result measure(EngineConfig engine, int n) throws Exception {
    EngineConfig cfg = engine.withSlots(Math.max(engine.slots(), n));
    try (LlamaEngine e = LlamaEngine.start(cfg); StandaloneNode node = StandaloneNode.start(e)) {
      // A few full streams first, so that lazily built pools and classes are in the baseline.
      SseLoad load = new SseLoad(node.port());
      String shortBody = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 16).encode();
      for (int i = 0; i < 3; i++) {
        load.run(n, shortBody);
      }
      Snapshot before = snapshot(node.port(), 0);
      // One token at once, then a minute per token: the streams stay open with nothing to send.
      String idleBody = new JsonObject().put("prompt", "Once upon a time").put("max_tokens", 64)
          .put("stream_delay_ms", 60_000).put("timeout_ms", 600_000).encode();
      Snapshot with;
      try (IdleStreams open = IdleStreams.open(node.port(), n, idleBody)) {
        with = snapshot(node.port(), n);
      }
      awaitActive(node.port(), 0); // the node cancelled every stream before it is closed
      return new Result(n, before, with);
    }
  }

  /**
   * Heap after full GCs, and RSS once it has settled: a full GC may shrink the heap and give pages
   * back, so RSS is read again until two reads agree within 1 MiB.
   */
  private static Snapshot snapshot(int port, int active) throws Exception {
    JsonObject worker = awaitActive(port, active);
    long rss = -1;
    long heap = 0;
    for (int i = 0; i < 8; i++) {
      System.gc();
      Thread.sleep(200); // let the collector finish giving memory back before RSS is read
      heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long now = rss();
      if (i >= 2 && Math.abs(now - rss) < 1 << 20) {
        break;
      }
      rss = now;
    }
    return new Snapshot(heap, rss(), worker.getInteger("kv_used", 0), worker.getInteger("active", 0));
  }

  /** Polls /v1/status until the worker reports that many active sequences; returns its entry. */
  private static JsonObject awaitActive(int port, int active) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonObject worker = null;
    while (System.nanoTime() < deadline) {
      String s = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/status")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      worker = new JsonObject(s).getJsonArray("workers").getJsonObject(0);
      if (worker.getInteger("active", -1) == active) {
        return worker;
      }
      Thread.sleep(100); // the worker publishes its status periodically
    }
    throw new IllegalStateException("the worker did not reach " + active + " active sequences: " + worker);
  }

  /** VmRSS from /proc/self/status, or -1 where it cannot be read. */
  static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux: no RSS figure
    }
    return -1;
  }
}
