package dev.tokenbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Over SSE, a stream whose connection drops mid-stream resumes through another of the client's
 * gateways, with no token lost or repeated: the text is the uninterrupted run's. The first gateway
 * is reached through a proxy that the test cuts, so the gateway itself is fine but unreachable.
 */
@Tag("cluster")
class ResumeTest {

  private static final int MAX_TOKENS = 80;
  private static TestCluster nodes;

  @BeforeAll
  static void start() throws Exception {
    nodes = TestCluster.gateways(2, 10_000, 2, 1024, GatewayOptions.defaults());
  }

  @AfterAll
  static void stop() {
    if (nodes != null) {
      nodes.close();
    }
  }

  /** Cancels what a gateway still holds (a parked stream) through its DELETE /v1/streams/{id}. */
  @AfterEach
  void nothingLeftOpen() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 0; i < nodes.gateways().size(); i++) {
      JsonArray streams = new JsonObject(http.send(HttpRequest.newBuilder(URI.create(nodes.url(i) + "/v1/status"))
          .build(), HttpResponse.BodyHandlers.ofString()).body()).getJsonArray("streams");
      for (int k = 0; k < streams.size(); k++) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(nodes.url(i) + "/v1/streams/"
            + streams.getJsonObject(k).getString("id"))).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isIn(204, 404); // 404: it ended meanwhile
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> nodes.engine().stats().active() == 0);
  }

  private static StreamConfig config() {
    return StreamConfig.builder().maxTokens(MAX_TOKENS).temperature(0.8).seed(5L).streamDelayMs(3).bufferSize(8)
        .build();
  }

  @Test
  void aDroppedConnectionResumesThroughAnotherGatewayWithNoGapAndNoRepeat() throws Exception {
    StringBuilder reference = new StringBuilder();
    try (Tokenbus direct = Tokenbus.create(TokenbusOptions.of(nodes.url(0)).withTransport(Transport.SSE))) {
      TokenStream s = direct.generate("resume me", config());
      while (!s.isFinished()) {
        reference.append(s.next().text());
      }
    }

    try (DroppingProxy proxy = new DroppingProxy(nodes.gateways().get(0).port());
        Tokenbus client = Tokenbus.create(TokenbusOptions.of(proxy.url(), nodes.url(1))
            .withTransport(Transport.SSE))) {
      TokenStream s = client.generate("resume me", config());
      StringBuilder text = new StringBuilder();
      int index = 0;
      while (index < 20) {
        TokenData t = s.next();
        assertThat(t.index()).isEqualTo(index++);
        text.append(t.text());
      }
      proxy.drop();
      while (!s.isFinished()) {
        TokenData t = s.next();
        assertThat(t.index()).as("no token lost, none repeated").isEqualTo(index++);
        text.append(t.text());
      }
      assertThat(index).isEqualTo(MAX_TOKENS);
      assertThat(text.toString()).isEqualTo(reference.toString());
      StreamSummary summary = s.result().await(10, TimeUnit.SECONDS);
      assertThat(summary.completionTokens()).isEqualTo(MAX_TOKENS);
      // The second gateway served the end of it: the first one gave the stream up.
      await().atMost(Duration.ofSeconds(15)).until(() -> nodes.gateways().get(0).dispatcher().streams().isEmpty());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> nodes.engine().stats().active() == 0);
  }

  @Test
  void withoutAnyGatewayLeftTheStreamEndsWithAConnectionException() throws Exception {
    try (DroppingProxy proxy = new DroppingProxy(nodes.gateways().get(0).port());
        Tokenbus client = Tokenbus.create(TokenbusOptions.of(proxy.url()).withTransport(Transport.SSE)
            .withReconnectTimeoutMs(1000))) {
      TokenStream s = client.generate("nowhere to go", StreamConfig.builder().maxTokens(5000).streamDelayMs(5)
          .build());
      s.next();
      proxy.drop();
      assertThatThrownBy(() -> {
        while (true) {
          s.next();
        }
      }).isInstanceOf(ConnectionException.class);
    }
    // The gateway holds it parked until its grace period: nothingLeftOpen() cancels it there.
  }
}
