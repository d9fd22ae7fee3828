package dev.tokenbus.bench;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The anchor under dispatch latency: a request/reply over the clustered event bus between two JVMs
 * joined as tokenbus nodes join (Hazelcast on loopback, the same cluster file and event-bus options,
 * TLS with credentials or plain text), and nothing else: no gateway, worker or engine. One process
 * answers ({@code pong}); the other ({@code ping}) sends {@code count} requests from its event loop
 * {@code gapMs} apart, as {@code bench scale}'s probes are, after {@link #WARM_UP} unmeasured ones, and
 * prints the round trip's p50/p99/max.
 * Run by {@code bin/bus-round-trip}.
 */
public final class BusRoundTrip {

  private static final String ADDRESS = "tokenbus.bench.round-trip";

  /**
   * Round trips 1 ms apart before the measured ones. The request path runs C2-compiled only after
   * thousands: after 200, p50 was 1.6-1.8 ms; after 2,000, 0.67; after 20,000, 0.26-0.37 here.
   */
  static final int WARM_UP = 20_000;

  private BusRoundTrip() {}

  /** {@code pong|ping CLUSTER_NAME COUNT GAP_MS [CREDENTIALS_DIR]}. */
  public static void main(String[] args) throws Exception {
    if (args.length < 4 || !(args[0].equals("pong") || args[0].equals("ping"))) {
      System.err.println("usage: BusRoundTrip pong|ping CLUSTER_NAME COUNT GAP_MS [CREDENTIALS_DIR]");
      System.exit(2);
    }
    Path credentials = args.length > 4 ? Path.of(args[4]) : null;
    ClusterNode node = ClusterNode.start(new ClusterOptions(null, args[1], "127.0.0.1", List.of(), 0, credentials,
        false, Map.of(), 0, 0)).await();
    Vertx vertx = node.vertx();
    if (args[0].equals("pong")) {
      vertx.eventBus().consumer(ADDRESS, m -> m.reply(m.body())).completion().await();
      System.out.println("pong: answering");
      Thread.currentThread().join(); // until killed
    }
    int count = Integer.parseInt(args[2]);
    long gapMs = Long.parseLong(args[3]);
    for (int tries = 0; !vertx.eventBus().request(ADDRESS, "x").transform(ar -> io.vertx.core.Future.succeededFuture(
        ar.succeeded())).await(); tries++) { // until the answering node's consumer is known here
      if (tries == 300) {
        throw new IllegalStateException("no answer from the pong node within 30 s");
      }
      Thread.sleep(100);
    }
    double[] warm = measure(vertx, WARM_UP, 1); // JIT and connections, not measured
    double[] ms = measure(vertx, count, gapMs);
    System.out.printf(Locale.ROOT, "clustered event bus request/reply (%s), %d round trips %d ms apart: p50 %.3f ms,"
        + " p99 %.3f ms, max %.3f ms (after %d warm-up ones)%n", credentials == null ? "plain text" : "TLS", count,
        gapMs, ms[count / 2], ms[(int) Math.ceil(count * 0.99) - 1], ms[count - 1], warm.length);
    node.close().await();
    System.exit(0);
  }

  private static double[] measure(Vertx vertx, int count, long gapMs) throws InterruptedException {
    double[] ms = new double[count];
    CountDownLatch done = new CountDownLatch(count);
    int[] sent = {0};
    vertx.setPeriodic(gapMs, id -> {
      int k = sent[0]++;
      if (k >= count) {
        vertx.cancelTimer(id);
        return;
      }
      long t0 = System.nanoTime();
      vertx.eventBus().request(ADDRESS, "x").onComplete(ar -> {
        ms[k] = ar.succeeded() ? (System.nanoTime() - t0) / 1e6 : Double.POSITIVE_INFINITY;
        done.countDown();
      });
    });
    done.await();
    Arrays.sort(ms);
    return ms;
  }
}
