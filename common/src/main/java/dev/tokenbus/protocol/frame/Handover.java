package dev.tokenbus.protocol.frame;

import io.vertx.core.json.JsonObject;

/**
 * What the holder of a resumable stream gives up to a {@link StreamClaim}: the OPEN to continue
 * with (the request, its remaining timeout, and as {@code resume} the tokens the client received)
 * and the model that generated them. The claiming gateway opens a new leg from it.
 */
public record Handover(OpenFrame open, String model) {

  public JsonObject toJson() {
    return new JsonObject().put("open", FrameJson.toJson(open)).put("model", model);
  }

  public static Handover fromJson(JsonObject j) {
    return new Handover((OpenFrame) FrameJson.fromJson(j.getJsonObject("open")), j.getString("model"));
  }
}
