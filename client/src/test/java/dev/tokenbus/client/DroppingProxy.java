package dev.tokenbus.client;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy to a gateway whose connections the test can cut: a network that fails, or a gateway
 * host that goes away, as the client sees it. After {@link #drop()} it accepts nothing more.
 */
final class DroppingProxy implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final NetServer server;
  /** Held here: a Vert.x client nothing refers to is closed when collected, and its connections with it. */
  private final NetClient client;
  private final List<NetSocket> sockets = new CopyOnWriteArrayList<>();

  DroppingProxy(int targetPort) throws Exception {
    client = vertx.createNetClient();
    server = vertx.createNetServer().connectHandler(in -> {
      in.pause();
      sockets.add(in);
      client.connect(targetPort, "127.0.0.1").onSuccess(out -> {
        sockets.add(out);
        in.handler(out::write);
        out.handler(in::write);
        in.closeHandler(v -> out.close());
        out.closeHandler(v -> in.close());
        in.resume();
      }).onFailure(e -> in.close());
    });
    server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** Stops listening and cuts every connection. */
  void drop() throws Exception {
    server.close().await(10, TimeUnit.SECONDS);
    sockets.forEach(NetSocket::close);
  }

  @Override
  public void close() {
    vertx.close();
  }
}
