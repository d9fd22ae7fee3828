package dev.tokenbus.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node runs its sockets on Netty's epoll transport where the platform has one (Linux x86-64):
 * the native library must load, which it does only when its release matches the Netty that Vert.x
 * brings (the root pom's {@code netty.version}).
 */
class NativeTransportTest {

  @Test
  void aNodeOnLinuxX8664UsesEpoll() throws Exception {
    assumeTrue(System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")
        && System.getProperty("os.arch").matches("amd64|x86_64"), "epoll is bundled for Linux x86-64 only");
    ClusterNode node = ClusterNode.start(ClusterOptions.standalone()).await(30, TimeUnit.SECONDS);
    try {
      assertThat(node.vertx().unavailableNativeTransportCause()).isNull();
      assertThat(node.vertx().isNativeTransportEnabled()).isTrue();
    } finally {
      node.close().await(30, TimeUnit.SECONDS);
    }
  }
}
