package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.RawExchange;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The operators' routes: only an admin key opens them (not a tenant's API key, not a near miss),
 * an admin key opens nothing else, bad paths and ids get the documented error object, and the
 * drain itself answers the worker's account and leaves the worker draining. Without admin keys
 * the routes do not exist.
 */
@Tag("engine")
@Tag("cluster")
class AdminRoutesTest {

  private static final String TENANT = "tenant-key-1";
  private static final String ADMIN = "admin-key-1";

  @Test
  void onlyAnAdminKeyDrainsAWorkerAndItOpensNothingElse() throws Exception {
    try (TestCluster c = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(256), GatewayOptions.defaults().withApiKeys(Set.of(TENANT))
        .withAdminKeys(Set.of(ADMIN)), WorkerOptions.defaults("tiny"))) {
      String worker = c.workers.get(0).endpoint();
      String drain = "/v1/admin/workers/" + worker + "/drain";

      // No key, a tenant's key, a near miss, the key in the query: 401 in OpenAI's shape.
      for (String key : new String[] {null, TENANT, ADMIN + "x", ADMIN.substring(1), ""}) {
        HttpResponse<String> r = send(c, "POST", drain, key);
        assertThat(r.statusCode()).as("key %s", key).isEqualTo(401);
        assertError(r, "invalid_api_key");
      }
      assertThat(send(c, "POST", drain + "?api_key=" + ADMIN, null).statusCode()).isEqualTo(401);
      // The admin key opens no tenant route.
      for (String path : List.of("/v1/status", "/v1/models")) {
        assertThat(send(c, "GET", path, ADMIN).statusCode()).as(path).isEqualTo(401);
      }
      // Unknown or absurd worker ids, other methods, other admin paths.
      HttpResponse<String> unknown = send(c, "POST", "/v1/admin/workers/tokenbus.worker.nobody/drain", ADMIN);
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertError(unknown, "worker_not_found");
      HttpResponse<String> longId = send(c, "POST", "/v1/admin/workers/" + "w".repeat(300) + "/drain", ADMIN);
      assertThat(longId.statusCode()).isEqualTo(400);
      assertError(longId, "invalid_value");
      assertThat(send(c, "POST", "/v1/admin/workers/" + "w".repeat(5000) + "/drain", ADMIN).statusCode())
          .as("a request line longer than the server takes").isEqualTo(414);
      assertThat(send(c, "GET", drain, ADMIN).statusCode()).isEqualTo(404);
      assertThat(send(c, "POST", "/v1/admin/workers", ADMIN).statusCode()).isEqualTo(404);
      // A path that climbs out of /v1/admin is a tenant path: the admin key does not open it.
      RawExchange climb = RawExchange.send(c.gateway.port(), ("POST /v1/admin/../generate HTTP/1.1\r\nHost: x\r\n"
          + "Authorization: Bearer " + ADMIN + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
          .getBytes(StandardCharsets.US_ASCII), 5000);
      assertThat(climb.status()).isIn(400, 401, 404);

      // The drain: nothing running, so nothing moves; the worker is draining from now on.
      HttpResponse<String> ok = send(c, "POST", drain, ADMIN);
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      JsonObject account = new JsonObject(ok.body());
      assertThat(account.getString("worker_id")).isEqualTo(worker);
      assertThat(account.getInteger("handed_off") + account.getInteger("replayed") + account.getInteger("staying"))
          .isZero();
      assertThat(c.workers.get(0).status().draining()).isTrue();
      // Drained twice: the same account.
      assertThat(new JsonObject(send(c, "POST", drain, ADMIN).body())).isEqualTo(account);
      // A drained worker takes no work: with no other worker the request cannot be served.
      HttpResponse<String> refused = c.http.send(HttpRequest.newBuilder(c.uri("/v1/generate"))
          .header("Authorization", "Bearer " + TENANT).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"x\",\"max_tokens\":2,\"stream\":false,"
              + "\"timeout_ms\":1000}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).as(refused.body()).isGreaterThanOrEqualTo(500);
    }
  }

  @Test
  void withoutAdminKeysTheRoutesDoNotExist() throws Exception {
    try (TestCluster c = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(1)
        .withContextPerSequence(128), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"))) {
      HttpResponse<String> r = send(c, "POST", "/v1/admin/workers/" + c.workers.get(0).endpoint() + "/drain", null);
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(r.body()).contains("admin-keys");
      assertThat(c.workers.get(0).status().draining()).isFalse();
    }
  }

  private static HttpResponse<String> send(TestCluster c, String method, String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(c.url(0) + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return c.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(HttpResponse<String> r, String code) {
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertThat(error.getString("code")).as(r.body()).isEqualTo(code);
    assertThat(error.getString("message")).isNotBlank();
  }
}
