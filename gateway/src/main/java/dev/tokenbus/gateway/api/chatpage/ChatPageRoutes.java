package dev.tokenbus.gateway.api.chatpage;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The web chat page: plain static files from the jar's {@code webroot/} ({@code GET /} is
 * {@code index.html}, the scripts and styles are under {@code /assets/}). Only those two paths are
 * routed, so every other path keeps the API's JSON 404 and 405 answers.
 */
public final class ChatPageRoutes {

  /**
   * The page may talk to its own origin only and runs no inline script, so model text could not
   * run even if it were ever inserted as markup.
   */
  public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; connect-src 'self'; "
      + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private ChatPageRoutes() {}

  public static void mount(Router router) {
    router.get("/").handler(ChatPageRoutes::headers)
        .handler(StaticHandler.create("webroot").setIndexPage("index.html"));
    // Under a wildcard route StaticHandler resolves only the part the wildcard matched.
    router.get("/assets/*").handler(ChatPageRoutes::headers).handler(StaticHandler.create("webroot/assets"));
  }

  /**
   * The files have no content hash in their names, so browsers must revalidate every time
   * ({@code no-cache}); StaticHandler's {@code Last-Modified} makes that a cheap 304. Its own
   * default, a day of {@code immutable}, would keep an old page after an upgrade.
   */
  private static void headers(RoutingContext ctx) {
    ctx.addHeadersEndHandler(v -> ctx.response().headers()
        .set("Cache-Control", "no-cache")
        .set("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .set("X-Content-Type-Options", "nosniff")
        .set("Referrer-Policy", "no-referrer"));
    ctx.next();
  }
}
