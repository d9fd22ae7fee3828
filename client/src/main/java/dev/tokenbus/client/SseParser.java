package dev.tokenbus.client;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-Sent Events from a byte stream: lines may be split anywhere between chunks (in the middle
 * of a UTF-8 character too); a blank line ends an event; comment lines ({@code :}) are skipped.
 */
final class SseParser {

  /** One event: its {@code id:} (or null), {@code event:} and joined {@code data:} lines. */
  record Event(String id, String event, String data) {}

  interface Listener {
    void onEvent(Event e);
  }

  private final Listener listener;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private String id;
  private String event;
  private StringBuilder data;

  SseParser(Listener listener) {
    this.listener = listener;
  }

  void feed(Buffer chunk) {
    for (int i = 0; i < chunk.length(); i++) {
      byte b = chunk.getByte(i);
      if (b == '\n') {
        onLine(line.toString(StandardCharsets.UTF_8));
        line.reset();
      } else {
        line.write(b);
      }
    }
  }

  private void onLine(String l) {
    if (l.endsWith("\r")) {
      l = l.substring(0, l.length() - 1);
    }
    if (l.isEmpty()) {
      if (data != null || event != null) {
        listener.onEvent(new Event(id, event == null ? "message" : event, data == null ? "" : data.toString()));
      }
      id = null;
      event = null;
      data = null;
      return;
    }
    if (l.startsWith(":")) {
      return;
    }
    int colon = l.indexOf(':');
    String field = colon < 0 ? l : l.substring(0, colon);
    String value = colon < 0 ? "" : l.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "id" -> id = value;
      case "event" -> event = value;
      case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
      default -> { } // retry and unknown fields: nothing to do
    }
  }
}
