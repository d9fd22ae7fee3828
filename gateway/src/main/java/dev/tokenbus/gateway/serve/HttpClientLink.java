package dev.tokenbus.gateway.serve;

import io.vertx.core.http.HttpServerResponse;
import java.util.function.Consumer;

/** The client of one HTTP request: it lets go when the connection closes (a reset or FIN) or a write fails. */
public final class HttpClientLink implements ClientLink {

  public static final String DISCONNECTED = "client disconnected";

  private final HttpServerResponse response;
  private final ApiError.Shape errors;
  private String abandoned;
  private Consumer<String> handler;

  /** @param errors the shape of the errors it is answered with */
  HttpClientLink(HttpServerResponse response, ApiError.Shape errors) {
    this.response = response;
    this.errors = errors;
    response.closeHandler(v -> abandon());
  }

  private void abandon() {
    if (abandoned == null) {
      abandoned = DISCONNECTED;
      Consumer<String> h = handler;
      if (h != null) {
        h.accept(abandoned);
      }
    }
  }

  @Override
  public String abandoned() {
    if (abandoned == null && response.closed()) {
      abandon(); // closed, and the close handler has not run yet
    }
    return abandoned;
  }

  @Override
  public void onAbandoned(Consumer<String> h) {
    handler = h;
    if (abandoned != null) {
      h.accept(abandoned);
    } else {
      abandoned(); // runs h when the connection closed and its close handler has not run yet
    }
  }

  @Override
  public void retryAfter(long seconds) {
    response.putHeader("Retry-After", Long.toString(seconds));
  }

  @Override
  public void refuse(ApiError error) {
    error.send(response, errors);
  }

  @Override
  public void transportFailed() {
    abandon();
  }
}
