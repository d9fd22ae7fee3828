package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.gateway.api.chatpage.ChatPageRoutes;
import dev.tokenbus.testing.TestCluster;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The chat page's files as plain HTTP: types, caching and security headers, and what stays the API's. */
@Tag("cluster")
class ChatPageRoutesTest {

  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.gatewayOnly(GatewayOptions.defaults());
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(cluster.uri(path)).GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return cluster.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void rootIsTheChatPageRevalidatedOnEveryLoad() throws Exception {
    HttpResponse<String> page = get("/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
    assertThat(page.body()).contains("<title>tokenbus chat</title>").contains("assets/app.js")
        .doesNotContain("http://").doesNotContain("https://"); // nothing from other origins
    assertThat(page.headers().firstValue("cache-control")).hasValue("no-cache");
    assertThat(page.headers().firstValue("content-security-policy")).hasValue(ChatPageRoutes.CONTENT_SECURITY_POLICY);
    assertThat(page.headers().firstValue("x-content-type-options")).hasValue("nosniff");

    String lastModified = page.headers().firstValue("last-modified").orElseThrow();
    HttpResponse<String> again = get("/", "If-Modified-Since", lastModified);
    assertThat(again.statusCode()).isEqualTo(304);
  }

  @Test
  void scriptsAreServedAsJavaScriptModules() throws Exception {
    for (String file : new String[] {"app.js", "socket.js", "prompt.js", "reply.js", "tokens.js", "api.js",
        "settings.js"}) {
      HttpResponse<String> js = get("/assets/" + file);
      assertThat(js.statusCode()).as(file).isEqualTo(200);
      assertThat(js.headers().firstValue("content-type")).hasValueSatisfying(v ->
          assertThat(v).contains("javascript"));
      assertThat(js.body()).as(file).doesNotContain("innerHTML").doesNotContain("insertAdjacentHTML")
          .doesNotContain("document.write");
    }
    HttpResponse<String> css = get("/assets/chat.css");
    assertThat(css.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/css"));
  }

  @Test
  void otherPathsKeepTheApisJsonErrors() throws Exception {
    HttpResponse<String> missing = get("/assets/no-such-file.js");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("not_found_error");
    HttpResponse<String> traversal = get("/assets/../../META-INF/MANIFEST.MF");
    assertThat(traversal.statusCode()).isEqualTo(404);
    HttpResponse<String> post = cluster.http.send(HttpRequest.newBuilder(cluster.uri("/"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.body()).contains("method_not_allowed");
  }
}
