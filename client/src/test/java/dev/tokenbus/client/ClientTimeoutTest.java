package dev.tokenbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The client's own deadline: a gateway that takes the request and then says nothing (a hung
 * process, a black-holed connection) cannot hold a stream past {@code timeoutMs} and its grace;
 * the stream ends with a {@link StreamTimeoutException}. The server here is a bare Vert.x HTTP
 * server that accepts and never answers: the transport's behaviour is what is tested.
 */
@Tag("cluster")
class ClientTimeoutTest {

  @ParameterizedTest
  @MethodSource("dev.tokenbus.client.Transport#values")
  void aSilentGatewayEndsTheStreamAtItsTimeout(Transport transport) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      HttpServer silent = vertx.createHttpServer()
          .webSocketHandler(ws -> { }).requestHandler(req -> { })
          .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      try (Tokenbus c = Tokenbus.create(TokenbusOptions.of("http://127.0.0.1:" + silent.actualPort())
          .withTransport(transport))) {
        long t0 = System.nanoTime();
        TokenStream s = c.generate("anyone there?", StreamConfig.builder().timeoutMs(300).build());
        assertThatThrownBy(s::next).isInstanceOf(StreamTimeoutException.class);
        Duration waited = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(300 + TokenStream.TIMEOUT_GRACE_MS));
        assertThat(s.isFinished()).isTrue();
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
