package dev.tokenbus.gateway.api;

import dev.tokenbus.gateway.dispatch.StreamOwner;
import dev.tokenbus.gateway.serve.ApiError;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;

/**
 * Checks {@code Authorization: Bearer <key>} against the configured keys, for every {@code /v1}
 * route (the WebSocket's upgrade request included); the header {@code x-api-key: <key>}, as
 * Anthropic's clients send it, is taken the same way when there is no bearer token. A missing or
 * wrong key gets 401 in the shape of the route's API. Keys are compared in constant time, so timing does not tell how much of a key was right.
 *
 * <p>A browser cannot set headers on a WebSocket, so the {@code /v1/ws} upgrade may carry the key
 * as the query parameter {@code api_key} instead (the web chat page does).
 *
 * <p>A request whose key is valid carries the key's {@link StreamOwner} on from here
 * ({@link #ownerOf}): the streams it opens are that key's alone. The digests are computed once,
 * here, so no request keeps its key beyond this check.
 */
public final class ApiKeys implements Handler<RoutingContext> {

  private static final String BEARER = "bearer ";
  private static final String X_API_KEY = "x-api-key";
  private static final String WEBSOCKET_PATH = "/v1/ws";
  private static final String QUERY_KEY = "api_key";
  /** The routing context's entry for the owner of the streams the request opens. */
  private static final String OWNER = "tokenbus.stream-owner";

  private final List<byte[]> keys;
  /** Each key's owner, by the key's position in {@link #keys}. */
  private final List<StreamOwner> owners;

  public ApiKeys(Set<String> keys) {
    List<String> ordered = List.copyOf(keys);
    this.keys = ordered.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    this.owners = ordered.stream().map(StreamOwner::ofApiKey).toList();
  }

  /**
   * The owner of the streams a request opens, resumes, cancels or lists: its API key's, or the
   * single tenant when the gateway asks for no key.
   */
  public static StreamOwner ownerOf(RoutingContext ctx) {
    StreamOwner owner = ctx.get(OWNER);
    return owner != null ? owner : StreamOwner.SINGLE_TENANT;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String presented;
    if (header != null && header.length() > BEARER.length()
        && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      presented = header.substring(BEARER.length()).strip();
    } else if (ctx.request().getHeader(X_API_KEY) != null) {
      presented = ctx.request().getHeader(X_API_KEY).strip();
    } else if (WEBSOCKET_PATH.equals(ctx.request().path()) && ctx.request().getParam(QUERY_KEY) != null) {
      presented = ctx.request().getParam(QUERY_KEY);
    } else {
      refuse(ctx, "no API key: send the header Authorization: Bearer <key> (or x-api-key: <key>)");
      return;
    }
    byte[] given = presented.getBytes(StandardCharsets.UTF_8);
    int known = -1;
    for (int i = 0; i < keys.size(); i++) {
      if (MessageDigest.isEqual(keys.get(i), given)) {
        known = i; // no early exit: every key is compared
      }
    }
    if (known >= 0) {
      ctx.put(OWNER, owners.get(known));
      ctx.next();
    } else {
      refuse(ctx, "the API key is not valid");
    }
  }

  private static void refuse(RoutingContext ctx, String message) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    new ApiError(401, "invalid_request_error", message, null, "invalid_api_key").send(ctx);
  }
}
