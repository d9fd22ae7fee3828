package dev.tokenbus.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** An OpenAI stream as a test reads it: the data of each event, raw, in order (comments skipped). */
public record OpenAiStream(List<String> data) {

  /** POSTs {@code body} and reads the whole stream, checking the status and content type. */
  public static OpenAiStream post(TestCluster cluster, String path, JsonObject body) throws Exception {
    HttpResponse<java.io.InputStream> r = cluster.http.send(HttpRequest.newBuilder(cluster.uri(path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (var in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
      return read(in);
    }
  }

  static OpenAiStream read(BufferedReader in) throws IOException {
    List<String> data = new ArrayList<>();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("data: ")) {
        data.add(line.substring(6));
      } else {
        assertThat(line).as("only data lines, comments and blank lines").matches("|:.*");
      }
    }
    return new OpenAiStream(data);
  }

  /** Every event before {@code [DONE]}, as JSON. */
  public List<JsonObject> chunks() {
    return data.subList(0, data.size() - 1).stream().map(JsonObject::new).toList();
  }

  /** The chunks that carry a choice. */
  public List<JsonObject> choiceChunks() {
    return chunks().stream().filter(c -> !c.getJsonArray("choices").isEmpty()).toList();
  }

  public static JsonObject choice(JsonObject chunk) {
    return chunk.getJsonArray("choices").getJsonObject(0);
  }
}
