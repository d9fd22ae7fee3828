package dev.tokenbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import com.hazelcast.spi.exception.ResponseAlreadySentException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import org.junit.jupiter.api.Test;

class PartitionNoiseFilterTest {

  private final LoggerContext context = new LoggerContext();
  private final PartitionNoiseFilter filter = new PartitionNoiseFilter();

  @Test
  void dropsTheWarningsOfOperationsToMembersThatLeftWithTheirStackTraces() {
    var invoke = context.getLogger("com.hazelcast.spi.impl.operationservice.impl.InvokeOnPartitions");
    assertThat(filter.decide(null, invoke, Level.WARN, "[10.77.72.101]:5701 [c] [5.6.0] Not Member! target: x", null,
        new TargetNotMemberException("Not Member! target: x"))).isEqualTo(FilterReply.DENY);
    var operations = context.getLogger("com.hazelcast.spi.impl.operationservice.OperationService");
    assertThat(filter.decide(null, operations, Level.WARN, "[a]:5701 [c] [5.6.0] Not Member! target: [b]:5701", null,
        null)).isEqualTo(FilterReply.DENY);
    var membership = context.getLogger("com.hazelcast.internal.cluster.impl.MembershipManager");
    assertThat(filter.decide(null, membership, Level.WARN,
        "[a]:5701 [c] [5.6.0] Member [b]:5701 - u is suspected to be dead for reason: Suspecting Member", null, null))
        .isEqualTo(FilterReply.DENY);
  }

  @Test
  void keepsTheOneLinePerChangeOtherWarningsAndErrors() {
    var heartbeat = context.getLogger("com.hazelcast.internal.cluster.impl.ClusterHeartbeatManager");
    assertThat(filter.decide(null, heartbeat, Level.WARN,
        "[a]:5701 [c] [5.6.0] Suspecting Member [b]:5701 - u because it has not sent any heartbeats", null, null))
        .isEqualTo(FilterReply.NEUTRAL);
    var joiner = context.getLogger("com.hazelcast.internal.cluster.impl.TcpIpJoiner");
    assertThat(filter.decide(null, joiner, Level.WARN, "[a]:5701 [c] [5.6.0] [a]:5701 is merging [tcp/ip] to [b]:5701",
        null, null)).isEqualTo(FilterReply.NEUTRAL);
    var invoke = context.getLogger("com.hazelcast.spi.impl.operationservice.impl.InvokeOnPartitions");
    assertThat(filter.decide(null, invoke, Level.WARN, "something else", null, null))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, invoke, Level.ERROR, "x", null, new IllegalStateException("x")))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, invoke, Level.ERROR, "Not Member! target: x", null,
        new TargetNotMemberException("Not Member! target: x"))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, context.getLogger("dev.tokenbus.gateway.X"), Level.WARN, "Not Member! target: x",
        null, new TargetNotMemberException("x"))).isEqualTo(FilterReply.NEUTRAL);
  }

  @Test
  void logsAFailedEventBusConnectionAsOneLineWithItsCause() {
    var bus = context.getLogger("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    bus.addAppender(lines);
    Exception failure = new RuntimeException("Failed to create SSL connection",
        new IllegalStateException("handshake timed out after 10000ms"));
    assertThat(filter.decide(null, bus, Level.WARN, "Connecting to server n1 failed", null, failure))
        .isEqualTo(FilterReply.DENY);
    assertThat(lines.list).singleElement().satisfies(e -> {
      assertThat(e.getFormattedMessage())
          .isEqualTo("Connecting to server n1 failed (IllegalStateException: handshake timed out after 10000ms)");
      assertThat(e.getThrowableProxy()).isNull();
    });
  }

  @Test
  void logsALateAnswerToARetriedOperationAsOneWarningWithoutItsStackTrace() {
    var op = context.getLogger("com.hazelcast.multimap.impl.operations.GetAllOperation");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    op.addAppender(lines);
    assertThat(filter.decide(null, op, Level.ERROR, "[a]:5701 [c] [5.6.0] NormalResponse already responseReceived",
        null, new ResponseAlreadySentException("NormalResponse already responseReceived"))).isEqualTo(FilterReply.DENY);
    assertThat(lines.list).singleElement().satisfies(e -> {
      assertThat(e.getLevel()).isEqualTo(Level.WARN);
      assertThat(e.getFormattedMessage()).contains("ResponseAlreadySentException");
      assertThat(e.getThrowableProxy()).isNull();
    });
    // Other errors, and the same exception outside Hazelcast, keep their stack traces.
    assertThat(filter.decide(null, op, Level.ERROR, "x", null, new IllegalStateException("x")))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, context.getLogger("dev.tokenbus.gateway.X"), Level.ERROR, "x", null,
        new ResponseAlreadySentException("x"))).isEqualTo(FilterReply.NEUTRAL);
  }

  @Test
  void logsHazelcastsOtherWarningsWithAnExceptionAsOneLineWithItsClassAndMessage() {
    var migration = context.getLogger("com.hazelcast.internal.partition.operation.MigrationRequestOperation");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    migration.addAppender(lines);
    assertThat(filter.decide(null, migration, Level.WARN, "[a]:5701 [c] [5.6.0] Failure while executing {}",
        new Object[] {"MigrationInfo{partitionId=0}"},
        new IllegalStateException("Local partition stamp is not equal to master's stamp! Local: 10, Master: 12")))
        .isEqualTo(FilterReply.DENY);
    assertThat(lines.list).singleElement().satisfies(e -> {
      assertThat(e.getLevel()).isEqualTo(Level.WARN);
      assertThat(e.getFormattedMessage()).isEqualTo("[a]:5701 [c] [5.6.0] Failure while executing "
          + "MigrationInfo{partitionId=0} (IllegalStateException: Local partition stamp is not equal to master's "
          + "stamp! Local: 10, Master: 12)");
      assertThat(e.getThrowableProxy()).isNull();
    });
  }
}
