package dev.tokenbus.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How a node runs its sockets: on Netty's epoll transport where the platform has one (Linux x86-64;
 * the native library loads only when its release matches the Netty that Vert.x brings, the root
 * pom's {@code netty.version}), and every verticle on one event loop ({@link ClusterNode#EVENT_LOOPS}).
 */
class NodeTransportTest {

  @Test
  void aNodeOnLinuxX8664UsesEpoll() throws Exception {
    assumeTrue(linuxX8664(), "epoll is bundled for Linux x86-64 only");
    ClusterNode node = ClusterNode.start(ClusterOptions.standalone()).await(30, TimeUnit.SECONDS);
    try {
      assertThat(node.vertx().unavailableNativeTransportCause()).isNull();
      assertThat(node.vertx().isNativeTransportEnabled()).isTrue();
    } finally {
      node.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void theEventBusTlsRunsOnBoringSslOnLinuxX8664() {
    assumeTrue(linuxX8664(), "BoringSSL is bundled for Linux x86-64 only");
    assertThat(io.netty.handler.ssl.OpenSsl.unavailabilityCause()).isNull();
    assertThat(io.vertx.core.net.OpenSSLEngineOptions.isAvailable()).isTrue();
  }

  private static boolean linuxX8664() {
    return System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")
        && System.getProperty("os.arch").matches("amd64|x86_64");
  }

  @Test
  void aNodeRunsEveryVerticleOnItsOneEventLoop() throws Exception {
    ClusterNode node = ClusterNode.start(ClusterOptions.standalone()).await(30, TimeUnit.SECONDS);
    try {
      Set<Thread> threads = ConcurrentHashMap.newKeySet();
      for (int i = 0; i < 4; i++) {
        node.vertx().deployVerticle(new VerticleBase() {
          @Override
          public Future<?> start() {
            threads.add(Thread.currentThread());
            return Future.succeededFuture();
          }
        }).await(30, TimeUnit.SECONDS);
      }
      assertThat(threads).hasSize(1);
    } finally {
      node.close().await(30, TimeUnit.SECONDS);
    }
  }
}
