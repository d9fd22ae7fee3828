package dev.tokenbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.testing.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A gateway that takes one generation per WebSocket: a client told so opens a socket per
 * generation and runs both; one that assumes more gets the gateway's {@code too_many_streams}.
 */
@Tag("cluster")
class SocketsTest {

  private static TestCluster nodes;

  @BeforeAll
  static void start() throws Exception {
    nodes = TestCluster.gateways(1, 0, 2, 1024, GatewayOptions.defaults().withMaxStreamsPerSocket(1));
  }

  @AfterAll
  static void stop() {
    if (nodes != null) {
      nodes.close();
    }
  }

  private static StreamConfig config() {
    return StreamConfig.builder().temperature(0).maxTokens(20).streamDelayMs(20).build();
  }

  private static int read(TokenStream s) throws InterruptedException {
    int n = 0;
    while (!s.isFinished()) {
      s.next();
      n++;
    }
    return n;
  }

  @Test
  void generationsBeyondASocketsLimitGoOnAnotherSocket() throws Exception {
    try (Tokenbus c = Tokenbus.create(TokenbusOptions.of(nodes.url(0)).withMaxStreamsPerSocket(1))) {
      TokenStream a = c.generate("first", config());
      TokenStream b = c.generate("second", config());
      assertThat(read(a)).isEqualTo(20);
      assertThat(read(b)).isEqualTo(20);
    }
    try (Tokenbus c = Tokenbus.create(TokenbusOptions.of(nodes.url(0)))) {
      TokenStream a = c.generate("first", config());
      TokenStream b = c.generate("second", config());
      assertThatThrownBy(() -> read(b)).isInstanceOfSatisfying(InvalidRequestException.class,
          e -> assertThat(e.code()).isEqualTo("too_many_streams"));
      assertThat(read(a)).isEqualTo(20);
    }
  }
}
