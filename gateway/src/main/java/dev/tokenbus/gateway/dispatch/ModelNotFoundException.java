package dev.tokenbus.gateway.dispatch;

/** Workers are up, but none serves the requested model. Maps to HTTP 404 {@code model_not_found}. */
public class ModelNotFoundException extends RuntimeException {

  private final String model;

  public ModelNotFoundException(String model) {
    super("the model '" + model + "' does not exist or no worker serves it");
    this.model = model;
  }

  public String model() {
    return model;
  }
}
