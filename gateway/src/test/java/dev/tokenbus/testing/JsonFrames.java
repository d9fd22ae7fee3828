package dev.tokenbus.testing;

import io.vertx.core.json.JsonObject;
import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/** A WebSocket listener for tests that hands each whole text message, parsed as JSON, to a consumer. */
public final class JsonFrames implements WebSocket.Listener {

  private final Consumer<JsonObject> onFrame;
  private final StringBuilder partial = new StringBuilder();

  public JsonFrames(Consumer<JsonObject> onFrame) {
    this.onFrame = onFrame;
  }

  @Override
  public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      JsonObject frame = new JsonObject(partial.toString());
      partial.setLength(0);
      onFrame.accept(frame);
    }
    socket.request(1);
    return null;
  }
}
