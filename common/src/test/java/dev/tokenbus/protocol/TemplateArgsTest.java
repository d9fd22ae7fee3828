package dev.tokenbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** What a request may hand to a chat template, and how {@code reasoning_effort} joins it. */
class TemplateArgsTest {

  @Test
  void variablesPassAsGiven() {
    JsonObject args = new JsonObject().put("enable_thinking", false).put("custom", new JsonArray().add(1));
    assertThat(TemplateArgs.checked(args)).isEqualTo(args);
    assertThat(TemplateArgs.checked(null)).isEmpty();
  }

  @Test
  void theServersOwnVariablesCannotBeReplaced() {
    for (String key : TemplateArgs.RESERVED) {
      assertThatThrownBy(() -> TemplateArgs.checked(new JsonObject().put(key, "x")))
          .isInstanceOf(RequestValidationException.class).hasMessageContaining(key)
          .extracting(e -> ((RequestValidationException) e).param()).isEqualTo("chat_template_kwargs");
    }
    assertThatThrownBy(() -> TemplateArgs.checked(new JsonObject().put("not a name", 1)))
        .hasMessageContaining("variable names");
  }

  @Test
  void sizeAndDepthAreBounded() {
    JsonObject deep = new JsonObject();
    JsonObject at = deep;
    for (int i = 0; i < TemplateArgs.MAX_DEPTH + 1; i++) {
      JsonObject next = new JsonObject();
      at.put("d", next);
      at = next;
    }
    assertThatThrownBy(() -> TemplateArgs.checked(deep)).hasMessageContaining("nest");
    assertThatThrownBy(() -> TemplateArgs.checked(new JsonObject().put("big", "x".repeat(TemplateArgs.MAX_CHARS))))
        .hasMessageContaining("characters");
  }

  @Test
  void reasoningEffortBecomesAVariableAndNoneTurnsThinkingOff() {
    assertThat(TemplateArgs.withEffort(new JsonObject(), "high")).isEqualTo(new JsonObject().put("reasoning_effort", "high"));
    assertThat(TemplateArgs.withEffort(new JsonObject(), "none"))
        .isEqualTo(new JsonObject().put("reasoning_effort", "none").put("enable_thinking", false));
    assertThat(TemplateArgs.withEffort(new JsonObject().put("enable_thinking", true), "none").getBoolean("enable_thinking"))
        .isTrue();
    assertThat(TemplateArgs.withEffort(new JsonObject(), null)).isEmpty();
    assertThatThrownBy(() -> TemplateArgs.withEffort(new JsonObject(), "bogus"))
        .isInstanceOf(RequestValidationException.class).hasMessageContaining("reasoning_effort");
  }
}
