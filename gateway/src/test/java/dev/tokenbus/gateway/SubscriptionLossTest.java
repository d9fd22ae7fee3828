package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.multimap.MultiMap;
import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A plain Hazelcast client that knows the cluster's name (it is in every log) removes the workers'
 * event-bus subscriptions from the cluster's directory ({@code __vertx.subs}), or clears it: the
 * worker's node puts its subscriptions back, requests succeed again within seconds, and while a
 * worker's address has no handler the gateway says so: {@code /ready} is 503 with the reason and
 * {@code /v1/status} shows the worker unreachable.
 */
@Tag("engine")
@Tag("cluster")
class SubscriptionLossTest {

  private static final EngineConfig ENGINE = EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2);
  private static final String GENERATE = "{\"prompt\":\"again\",\"max_tokens\":4,\"stream\":false}";
  private static final String SUBS = "__vertx.subs";

  /** A Hazelcast client (not a tokenbus node: no credentials) of the cluster, through the worker's Hazelcast port. */
  private static HazelcastInstance intruder(TestCluster c) throws Exception {
    String node = workerNode(c);
    String address = c.status().getJsonArray("members").stream().map(JsonObject.class::cast)
        .filter(m -> node.equals(m.getString("node"))).findFirst().orElseThrow().getString("address");
    ClientConfig config = new ClientConfig().setClusterName(c.clusterName);
    config.getNetworkConfig().addAddress(address);
    return HazelcastClient.newHazelcastClient(config);
  }

  private static String workerNode(TestCluster c) throws Exception {
    return c.status().getJsonArray("workers").getJsonObject(0).getString("node");
  }

  private static String nodeOf(Object entry) {
    return ((HazelcastRegistrationInfo) entry).unwrap().nodeId();
  }

  /** Removes every directory entry of {@code node}, as an intruder would; how many. */
  private static int removeSubscriptionsOf(HazelcastInstance intruder, String node) {
    MultiMap<String, Object> subs = intruder.getMultiMap(SUBS);
    int n = 0;
    for (Map.Entry<String, Object> e : subs.entrySet()) {
      if (node.equals(nodeOf(e.getValue())) && subs.remove(e.getKey(), e.getValue())) {
        n++;
      }
    }
    return n;
  }

  /** Whether the directory names {@code node} at the address {@code address}. */
  private static boolean listed(HazelcastInstance intruder, String address, String node) {
    MultiMap<String, Object> subs = intruder.getMultiMap(SUBS);
    return subs.get(address).stream().anyMatch(v -> node.equals(nodeOf(v)));
  }

  private static HttpResponse<String> get(TestCluster c, int port, String path) throws Exception {
    return c.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> generate(TestCluster c, int port) throws Exception {
    return c.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/generate"))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(GENERATE))
        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void removedSubscriptionsOfAWorkerAreAnnouncedAgainAndRequestsSucceedAgain() throws Exception {
    try (TestCluster c = TestCluster.start(ENGINE)) {
      int port = c.gateway.port();
      assertThat(generate(c, port).statusCode()).isEqualTo(200);
      String node = workerNode(c);
      String endpoint = c.workers.get(0).endpoint();
      HazelcastInstance intruder = intruder(c);
      try {
        assertThat(removeSubscriptionsOf(intruder, node)).as("entries removed").isGreaterThanOrEqualTo(3);

        await().atMost(Duration.ofSeconds(10)).until(() -> listed(intruder, endpoint, node));
        await().atMost(Duration.ofSeconds(10)).until(() -> generate(c, port).statusCode() == 200);
        assertThat(get(c, port, "/ready").statusCode()).isEqualTo(200);
      } finally {
        intruder.shutdown();
      }
    }
  }

  @Test
  void aWorkerWithoutHandlersIsUnreachableAndTheGatewayNotReadyUntilItAnswersAgain() throws Exception {
    try (TestCluster c = TestCluster.start(ENGINE)) {
      int port = c.gateway.port();
      assertThat(generate(c, port).statusCode()).isEqualTo(200);
      String node = workerNode(c);
      HazelcastInstance intruder = intruder(c);
      try {
        c.workerNodes.get(0).subscriptions().pause(); // the worker's node does not put them back, for now
        assertThat(removeSubscriptionsOf(intruder, node)).as("entries removed").isGreaterThanOrEqualTo(3);

        // Once the gateway's event bus sees the worker's address empty, a dispatch finds no handler there.
        await().atMost(Duration.ofSeconds(10)).until(() -> generate(c, port).statusCode() == 503);
        HttpResponse<String> ready = get(c, port, "/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("no handler at their event-bus address");
        JsonObject worker = c.status().getJsonArray("workers").getJsonObject(0);
        assertThat(worker.getBoolean("reachable")).as("%s", worker).isFalse();
        assertThat(worker.getString("reason")).contains("no handler at its event-bus address");
        // It stays listed (it announces itself) and unreachable: a request is refused at once, saying why.
        HttpResponse<String> refused = generate(c, port);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("no worker is reachable");
        assertThat(get(c, port, "/ready").statusCode()).isEqualTo(503);

        c.workerNodes.get(0).subscriptions().resume();

        await().atMost(Duration.ofSeconds(10)).until(() -> get(c, port, "/ready").statusCode() == 200);
        assertThat(c.status().getJsonArray("workers").getJsonObject(0).getBoolean("reachable")).isTrue();
        assertThat(generate(c, port).statusCode()).isEqualTo(200);
      } finally {
        intruder.shutdown();
      }
    }
  }

  @Test
  void aClearedDirectoryIsRefilledAndAGatewayThatJoinsAfterReachesTheWorker() throws Exception {
    try (TestCluster c = TestCluster.start(ENGINE)) {
      String node = workerNode(c);
      String endpoint = c.workers.get(0).endpoint();
      HazelcastInstance intruder = intruder(c);
      try {
        intruder.getMultiMap(SUBS).clear();

        await().atMost(Duration.ofSeconds(10)).until(() -> listed(intruder, endpoint, node));
        // A gateway started after the clear knows the worker only from the directory.
        GatewayVerticle late = c.addGateway(GatewayOptions.defaults(), DispatchOptions.defaults());
        await().atMost(Duration.ofSeconds(20)).until(() -> generate(c, late.port()).statusCode() == 200);
        await().atMost(Duration.ofSeconds(10)).until(() -> generate(c, c.gateway.port()).statusCode() == 200);
      } finally {
        intruder.shutdown();
      }
    }
  }
}
