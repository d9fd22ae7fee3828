package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

class ShutdownNoiseFilterTest {

  private final LoggerContext context = new LoggerContext();
  private final ShutdownNoiseFilter filter = new ShutdownNoiseFilter();

  @Test
  void dropsOnlyTheUnregisteredConsumerNotice() {
    var vertx = context.getLogger("io.vertx.core.eventbus.impl.MessageConsumerImpl");
    assertThat(filter.decide(null, vertx, Level.WARN,
        "Discarding message since the consumer is not registered. address: tokenbus.workers", null, null))
        .isEqualTo(FilterReply.DENY);
    assertThat(filter.decide(null, vertx, Level.WARN,
        "Discarding message as more than 1000 buffered in paused consumer. address: x", null, null))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, context.getLogger("other"), Level.WARN,
        "Discarding message since the consumer is not registered. address: x", null, null))
        .isEqualTo(FilterReply.NEUTRAL);
  }
}
