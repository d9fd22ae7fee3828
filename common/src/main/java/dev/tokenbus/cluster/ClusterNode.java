package dev.tokenbus.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.XmlConfigBuilder;
import dev.tokenbus.metrics.TokenbusMetrics;
import dev.tokenbus.protocol.frame.FrameCodec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** A clustered Vert.x instance on Hazelcast, with the frame codec registered: what every tokenbus role runs on. */
public final class ClusterNode {

  private final Vertx vertx;
  private final ClusterMembership membership;
  private final TokenbusMetrics metrics;

  private ClusterNode(Vertx vertx, ClusterMembership membership, TokenbusMetrics metrics) {
    this.vertx = vertx;
    this.membership = membership;
    this.metrics = metrics;
  }

  /** This node's metrics, scraped at {@code /metrics}. */
  public TokenbusMetrics metrics() {
    return metrics;
  }

  public Vertx vertx() {
    return vertx;
  }

  public ClusterMembership membership() {
    return membership;
  }

  public Future<Void> close() {
    return vertx.close();
  }

  /** Joins (or forms) the cluster. Call from a plain thread, not from inside another Vert.x instance. */
  public static Future<ClusterNode> start(ClusterOptions options) {
    // Hazelcast reads this before any configuration file; as a config property it would miss its first lines.
    System.setProperty("hazelcast.logging.type", "slf4j");
    Config hz;
    try {
      hz = loadConfig(options);
    } catch (IOException e) {
      return Future.failedFuture(new UncheckedIOException("cannot read the cluster configuration: " + e.getMessage(), e));
    }
    HazelcastClusterManager manager = new HazelcastClusterManager(hz);
    String registryName = "tokenbus-" + java.util.UUID.randomUUID();
    VertxOptions vo = new VertxOptions().setEventBusOptions(new EventBusOptions()
        .setHost(options.host()).setPort(0).setClusterPublicHost(options.host()))
        // Prometheus metrics: Vert.x's own (HTTP, event bus) and tokenbus's, in one registry per node.
        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
            .setRegistryName(registryName)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    return Vertx.builder().with(vo).withClusterManager(manager).withMetrics(new MicrometerMetricsFactory())
        .buildClustered().map(vertx -> {
      FrameCodec.register(vertx.eventBus());
      return new ClusterNode(vertx, new HazelcastMembership(manager), TokenbusMetrics.of(registryName));
    });
  }

  static Config loadConfig(ClusterOptions options) throws IOException {
    Config hz;
    if (options.configFile() != null) {
      try (InputStream in = Files.newInputStream(options.configFile())) {
        hz = new XmlConfigBuilder(in).build();
      }
    } else {
      try (InputStream in = ClusterNode.class.getResourceAsStream("/tokenbus-cluster.xml")) {
        if (in == null) {
          throw new IOException("tokenbus-cluster.xml is missing from the class path");
        }
        hz = new XmlConfigBuilder(in).build();
      }
    }
    if (options.clusterName() != null) {
      hz.setClusterName(options.clusterName());
    }
    if (options.host().matches("[0-9.]+")) {
      // Bind Hazelcast to this address only (the file's default is loopback).
      hz.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(java.util.List.of(options.host()));
    } else {
      // A host name (a compose service): let Hazelcast pick the interface, advertise the name.
      hz.getNetworkConfig().getInterfaces().setEnabled(false);
      hz.getNetworkConfig().setPublicAddress(options.host());
    }
    if (options.port() > 0) {
      hz.getNetworkConfig().setPort(options.port());
    }
    if (!options.members().isEmpty()) {
      JoinConfig join = hz.getNetworkConfig().getJoin();
      join.getTcpIpConfig().setEnabled(true).setMembers(options.members());
    }
    return hz;
  }
}
