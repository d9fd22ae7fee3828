package dev.tokenbus.testing;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A minimal Server-Sent Events reader for tests: events with id, event name and JSON data; comments counted. */
public final class Sse {

  public record Event(String id, String event, JsonObject data) {}

  private final BufferedReader reader;
  public int comments;

  public Sse(BufferedReader reader) {
    this.reader = reader;
  }

  /** The next event, or null at the end of the stream. */
  public Event next() throws IOException {
    String id = null;
    String event = null;
    StringBuilder data = new StringBuilder();
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.isEmpty()) {
        if (event != null || !data.isEmpty()) {
          return new Event(id, event, data.isEmpty() ? null : new JsonObject(data.toString()));
        }
        continue;
      }
      if (line.startsWith(":")) {
        comments++;
      } else if (line.startsWith("id: ")) {
        id = line.substring(4);
      } else if (line.startsWith("event: ")) {
        event = line.substring(7);
      } else if (line.startsWith("data: ")) {
        data.append(line.substring(6));
      }
    }
    return null;
  }

  public List<Event> all() throws IOException {
    List<Event> out = new ArrayList<>();
    Event e;
    while ((e = next()) != null) {
      out.add(e);
    }
    return out;
  }
}
