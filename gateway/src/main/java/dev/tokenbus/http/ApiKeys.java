package dev.tokenbus.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;

/**
 * Checks {@code Authorization: Bearer <key>} against the configured keys, for every {@code /v1}
 * route (the WebSocket's upgrade request included). A missing or wrong key gets 401 in OpenAI's
 * shape. Keys are compared in constant time, so timing does not tell how much of a key was right.
 *
 * <p>A browser cannot set headers on a WebSocket, so the {@code /v1/ws} upgrade may carry the key
 * as the query parameter {@code api_key} instead (the web chat page does).
 */
final class ApiKeys implements Handler<RoutingContext> {

  private static final String BEARER = "bearer ";
  private static final String WEBSOCKET_PATH = "/v1/ws";
  private static final String QUERY_KEY = "api_key";

  private final List<byte[]> keys;

  ApiKeys(Set<String> keys) {
    this.keys = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String presented;
    if (header != null && header.length() > BEARER.length()
        && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      presented = header.substring(BEARER.length()).strip();
    } else if (WEBSOCKET_PATH.equals(ctx.request().path()) && ctx.request().getParam(QUERY_KEY) != null) {
      presented = ctx.request().getParam(QUERY_KEY);
    } else {
      refuse(ctx, "no API key: send the header Authorization: Bearer <key>");
      return;
    }
    byte[] given = presented.getBytes(StandardCharsets.UTF_8);
    boolean known = false;
    for (byte[] key : keys) {
      known |= MessageDigest.isEqual(key, given);
    }
    if (known) {
      ctx.next();
    } else {
      refuse(ctx, "the API key is not valid");
    }
  }

  private static void refuse(RoutingContext ctx, String message) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    new ApiError(401, "invalid_request_error", message, null, "invalid_api_key").send(ctx.response());
  }
}
