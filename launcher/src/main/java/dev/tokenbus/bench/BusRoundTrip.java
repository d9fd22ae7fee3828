package dev.tokenbus.bench;

import dev.tokenbus.cluster.ClusterNode;
import dev.tokenbus.cluster.ClusterOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.parsetools.RecordParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * The anchor under dispatch latency: a request/reply over the clustered event bus between two JVMs
 * joined as tokenbus nodes join (Hazelcast on loopback, the same cluster file and event-bus options,
 * TLS with credentials or plain text), and nothing else: no gateway, worker or engine. One process
 * answers ({@code pong}); the other ({@code ping}) sends {@code count} requests from its event loop
 * {@code gapMs} apart, as {@code bench scale}'s probes are, after {@link #WARM_UP} unmeasured ones, and
 * prints the round trip's p50/p99/max. In turn with those, between the same two joined JVMs, the same
 * loop over a plain Vert.x TCP connection: the two JVMs' Hazelcast members, GC and JIT under both, the
 * clustered bus's own path under one only. And the same TCP loop between two JVMs with no cluster
 * ({@code tcp-pong}, {@code tcp-ping}): what the JVMs, Netty and Vert.x's event loops give on this
 * machine without the clustered bus and Hazelcast. Each request carries the time it was sent and each
 * answer the time the other side read it (one clock for the two JVMs: {@link System#nanoTime()} is
 * Linux's monotonic clock), so each round trip is also split into there and back.
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
      // The bus answer and, beside it in the same JVM, a TCP echo: each stamps the time it got the request.
      vertx.eventBus().<Buffer>consumer(ADDRESS, m -> m.reply(stamped(m.body()))).completion().await();
      var server = echoServer(vertx);
      vertx.eventBus().consumer(ADDRESS + ".tcp-port", m -> m.reply(server.actualPort())).completion().await();
      System.out.println("pong: answering");
      Thread.currentThread().join(); // until killed
    }
    int count = Integer.parseInt(args[2]);
    long gapMs = Long.parseLong(args[3]);
    for (int tries = 0; !vertx.eventBus().request(ADDRESS, stamp()).transform(ar -> Future.succeededFuture(
        ar.succeeded())).await(); tries++) { // until the answering node's consumer is known here
      if (tries == 300) {
        throw new IllegalStateException("no answer from the pong node within 30 s");
      }
      Thread.sleep(100);
    }
    int port = vertx.eventBus().<Integer>request(ADDRESS + ".tcp-port", "").await().body();
    Supplier<Future<Buffer>> bus = () -> vertx.eventBus().<Buffer>request(ADDRESS, stamp()).map(Message::body);
    Supplier<Future<Buffer>> tcp = echo(vertx, port);
    String mode = credentials == null ? "plain text" : "TLS";
    // Both loops in turn, in the same two JVMs, so that each sees the same Hazelcast members, GC and JIT.
    measure(vertx, List.of(bus, tcp), WARM_UP, 1); // JIT and connections, not measured
    Timings[] t = measure(vertx, List.of(bus, tcp), count, gapMs);
    System.out.println(t[0].line("clustered event bus request/reply (" + mode + ")", gapMs));
    System.out.println(t[1].line("beside it, Vert.x TCP between the same two joined JVMs", gapMs));
    node.close().await();
    System.exit(0);
  }

  /**
   * A plain Vert.x TCP connection between two JVMs: the answering side echoes, and writes its port to
   * {@code portFile}; the asking side reads it there.
   */
  private static void tcp(boolean pong, Path portFile, int count, long gapMs) throws Exception {
    // One event loop and epoll, as a tokenbus node has (ClusterNode).
    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setEventLoopPoolSize(ClusterNode.EVENT_LOOPS)
        .setPreferNativeTransport(true));
    if (pong) {
      var server = echoServer(vertx);
      Path written = Files.writeString(portFile.resolveSibling(portFile.getFileName() + ".new"),
          Integer.toString(server.actualPort()));
      Files.move(written, portFile, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING); // the other side never reads half of it
      System.out.println("tcp-pong: answering on " + server.actualPort());
      Thread.currentThread().join(); // until killed
    }
    String port = "";
    for (int tries = 0; port.isEmpty(); tries++) {
      if (tries == 300) {
        throw new IllegalStateException("no port in " + portFile + " within 30 s");
      }
      Thread.sleep(100);
      port = Files.exists(portFile) ? Files.readString(portFile).strip() : "";
    }
    Supplier<Future<Buffer>> tcp = echo(vertx, Integer.parseInt(port));
    measure(vertx, List.of(tcp), WARM_UP, 1);
    Timings t = measure(vertx, List.of(tcp), count, gapMs)[0];
    System.out.println(t.line("Vert.x TCP (two JVMs, no cluster)", gapMs));
    System.exit(0);
  }

  /**
   * An echo that stamps each request with the time it read it, on a free port of its own. Not on port
   * 0: Vert.x shares a TCP server among all that listen on the same host and port, port 0 included, so
   * in a joined node the echo would share the event bus's server (also 127.0.0.1, port 0), and half the
   * connections would reach the other's handler.
   */
  private static io.vertx.core.net.NetServer echoServer(Vertx vertx) throws java.io.IOException {
    int port;
    try (var free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    return vertx.createNetServer(new io.vertx.core.net.NetServerOptions().setTcpNoDelay(true))
        .connectHandler(socket -> socket.handler(RecordParser.newFixed(STAMP, request ->
            socket.write(stamped(request))))).listen(port, "127.0.0.1").await();
  }

  /**
   * A TCP connection to an echo that stamps: each call writes a request stamped with the time it is
   * sent, and completes with the answer, which also carries the time the other side read it.
   */
  private static Supplier<Future<Buffer>> echo(Vertx vertx, int port) {
    // Held by the supplier: Vert.x closes a client, and its connections, once the client is garbage.
    var client = vertx.createNetClient(new io.vertx.core.net.NetClientOptions().setTcpNoDelay(true));
    var socket = client.connect(port, "127.0.0.1").await();
    Queue<Promise<Buffer>> waiting = new ConcurrentLinkedQueue<>(); // the socket's and the timer's contexts
    socket.handler(RecordParser.newFixed(2 * STAMP, answer -> waiting.poll().complete(answer)));
    return () -> {
      Objects.requireNonNull(client);
      Promise<Buffer> back = Promise.promise();
      waiting.add(back);
      socket.write(stamp());
      return back.future();
    };
  }

  /** Bytes in a stamp: a {@link System#nanoTime()}, which two JVMs on one Linux host read from one clock. */
  private static final int STAMP = Long.BYTES;

  private static Buffer stamp() {
    return Buffer.buffer(STAMP).appendLong(System.nanoTime());
  }

  /** The request's stamp, and the time it arrived here. */
  private static Buffer stamped(Buffer request) {
    long arrived = System.nanoTime();
    return Buffer.buffer(2 * STAMP).appendLong(request.getLong(0)).appendLong(arrived);
  }

  /** Round trips of one kind: whole, and split where the answering side read the request. */
  record Timings(double[] total, double[] there, double[] back) {

    String line(String what, long gapMs) {
      int n = total.length;
      return String.format(Locale.ROOT, "%s, %d round trips %d ms apart: p50 %.3f ms, p99 %.3f ms, max %.3f ms"
          + " (there p50 %.3f / p99 %.3f ms, back p50 %.3f / p99 %.3f ms; after %d warm-up ones)", what, n, gapMs,
          at(total, 50), at(total, 99), total[n - 1], at(there, 50), at(there, 99), at(back, 50), at(back, 99),
          WARM_UP);
    }

    private static double at(double[] sorted, int p) {
      return sorted[Math.max(0, (int) Math.ceil(sorted.length * p / 100.0) - 1)];
    }
  }

  /**
   * {@code count} round trips of each kind, each kind's {@code gapMs} apart, the kinds in turn (one
   * every {@code gapMs / kinds}), each started from the event loop by a periodic timer, as
   * {@code bench scale}'s probes are.
   */
  private static Timings[] measure(Vertx vertx, List<Supplier<Future<Buffer>>> kinds, int count, long gapMs)
      throws InterruptedException {
    int k = kinds.size();
    double[][] total = new double[k][count];
    double[][] there = new double[k][count];
    double[][] back = new double[k][count];
    CountDownLatch done = new CountDownLatch(k * count);
    int[] sent = {0};
    vertx.setPeriodic(Math.max(1, gapMs / k), id -> {
      int i = sent[0]++;
      if (i >= k * count) {
        vertx.cancelTimer(id);
        return;
      }
      int kind = i % k;
      int slot = i / k;
      kinds.get(kind).get().onComplete(ar -> {
        long now = System.nanoTime();
        if (ar.succeeded()) {
          long sentAt = ar.result().getLong(0);
          long arrived = ar.result().getLong(STAMP);
          total[kind][slot] = (now - sentAt) / 1e6;
          there[kind][slot] = (arrived - sentAt) / 1e6;
          back[kind][slot] = (now - arrived) / 1e6;
        } else {
          total[kind][slot] = there[kind][slot] = back[kind][slot] = Double.POSITIVE_INFINITY;
        }
        done.countDown();
      });
    });
    done.await();
    Timings[] out = new Timings[k];
    for (int kind = 0; kind < k; kind++) {
      Arrays.sort(total[kind]);
      Arrays.sort(there[kind]);
      Arrays.sort(back[kind]);
      out[kind] = new Timings(total[kind], there[kind], back[kind]);
    }
    return out;
  }
}
