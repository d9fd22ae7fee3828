package dev.tokenbus.model;

import java.util.Map;

/** "404 Not Found": java.net.http does not expose the reason phrase, so the common ones are spelled out here. */
final class HttpStatusText {
  private static final Map<Integer, String> REASONS = Map.ofEntries(
      Map.entry(400, "Bad Request"),
      Map.entry(401, "Unauthorized"),
      Map.entry(403, "Forbidden"),
      Map.entry(404, "Not Found"),
      Map.entry(405, "Method Not Allowed"),
      Map.entry(408, "Request Timeout"),
      Map.entry(410, "Gone"),
      Map.entry(416, "Range Not Satisfiable"),
      Map.entry(429, "Too Many Requests"),
      Map.entry(500, "Internal Server Error"),
      Map.entry(502, "Bad Gateway"),
      Map.entry(503, "Service Unavailable"),
      Map.entry(504, "Gateway Timeout"));

  private HttpStatusText() {
  }

  static String of(int status) {
    String reason = REASONS.get(status);
    return reason == null ? "HTTP " + status : status + " " + reason;
  }
}
