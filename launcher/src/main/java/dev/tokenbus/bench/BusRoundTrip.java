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
 * prints the round trip's p50/p99/max. Beside it, the same loop over a plain Vert.x TCP connection
 * between two JVMs with no cluster ({@code tcp-pong}, {@code tcp-ping}): what the JVMs, Netty and
 * Vert.x's event loops give on this machine without the clustered bus and Hazelcast.
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

  /**
   * {@code pong|ping CLUSTER_NAME COUNT GAP_MS [CREDENTIALS_DIR]}, or
   * {@code tcp-pong|tcp-ping PORT_FILE COUNT GAP_MS}.
   */
  public static void main(String[] args) throws Exception {
    if (args.length < 4 || !List.of("pong", "ping", "tcp-pong", "tcp-ping").contains(args[0])) {
      System.err.println("usage: BusRoundTrip pong|ping CLUSTER_NAME COUNT GAP_MS [CREDENTIALS_DIR]\n"
          + "       BusRoundTrip tcp-pong|tcp-ping PORT_FILE COUNT GAP_MS");
      System.exit(2);
    }
    if (args[0].startsWith("tcp-")) {
      tcp(args[0].equals("tcp-pong"), Path.of(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]));
      return;
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
    java.util.function.Supplier<io.vertx.core.Future<?>> roundTrip = () -> vertx.eventBus().request(ADDRESS, "x");
    double[] warm = measure(vertx, roundTrip, WARM_UP, 1); // JIT and connections, not measured
    double[] ms = measure(vertx, roundTrip, count, gapMs);
    System.out.printf(Locale.ROOT, "clustered event bus request/reply (%s), %d round trips %d ms apart: p50 %.3f ms,"
        + " p99 %.3f ms, max %.3f ms (after %d warm-up ones)%n", credentials == null ? "plain text" : "TLS", count,
        gapMs, ms[count / 2], ms[(int) Math.ceil(count * 0.99) - 1], ms[count - 1], warm.length);
    node.close().await();
    System.exit(0);
  }

  /**
   * A plain Vert.x TCP connection between two JVMs: the answering side echoes, and writes its port to
   * {@code portFile}; the asking side reads it there, sends 32 bytes and waits for them back.
   */
  private static void tcp(boolean pong, Path portFile, int count, long gapMs) throws Exception {
    Vertx vertx = Vertx.vertx();
    if (pong) {
      var server = vertx.createNetServer(new io.vertx.core.net.NetServerOptions().setTcpNoDelay(true))
          .connectHandler(socket -> socket.handler(socket::write)).listen(0, "127.0.0.1").await();
      Path written = java.nio.file.Files.writeString(portFile.resolveSibling(portFile.getFileName() + ".new"),
          Integer.toString(server.actualPort()));
      java.nio.file.Files.move(written, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING); // the other side never reads half of it
      System.out.println("tcp-pong: answering on " + server.actualPort());
      Thread.currentThread().join(); // until killed
    }
    String port = "";
    for (int tries = 0; port.isEmpty(); tries++) {
      if (tries == 300) {
        throw new IllegalStateException("no port in " + portFile + " within 30 s");
      }
      Thread.sleep(100);
      port = java.nio.file.Files.exists(portFile) ? java.nio.file.Files.readString(portFile).strip() : "";
    }
    var socket = vertx.createNetClient(new io.vertx.core.net.NetClientOptions().setTcpNoDelay(true))
        .connect(Integer.parseInt(port), "127.0.0.1").await();
    io.vertx.core.buffer.Buffer request = io.vertx.core.buffer.Buffer.buffer(new byte[32]);
    java.util.ArrayDeque<io.vertx.core.Promise<Void>> waiting = new java.util.ArrayDeque<>();
    int[] received = {0};
    socket.handler(data -> {
      received[0] += data.length(); // the 32 bytes may come back in pieces
      while (received[0] >= 32 && !waiting.isEmpty()) {
        received[0] -= 32;
        waiting.poll().complete();
      }
    });
    java.util.function.Supplier<io.vertx.core.Future<?>> roundTrip = () -> {
      io.vertx.core.Promise<Void> back = io.vertx.core.Promise.promise();
      waiting.add(back);
      socket.write(request);
      return back.future();
    };
    double[] warm = measure(vertx, roundTrip, WARM_UP, 1);
    double[] ms = measure(vertx, roundTrip, count, gapMs);
    System.out.printf(Locale.ROOT, "Vert.x TCP (two JVMs, no cluster), %d round trips %d ms apart: p50 %.3f ms,"
        + " p99 %.3f ms, max %.3f ms (after %d warm-up ones)%n", count, gapMs, ms[count / 2],
        ms[(int) Math.ceil(count * 0.99) - 1], ms[count - 1], warm.length);
    System.exit(0);
  }

  private static double[] measure(Vertx vertx, java.util.function.Supplier<io.vertx.core.Future<?>> roundTrip,
      int count, long gapMs) throws InterruptedException {
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
      roundTrip.get().onComplete(ar -> {
        ms[k] = ar.succeeded() ? (System.nanoTime() - t0) / 1e6 : Double.POSITIVE_INFINITY;
        done.countDown();
      });
    });
    done.await();
    Arrays.sort(ms);
    return ms;
  }
}
