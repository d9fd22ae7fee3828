package dev.tokenbus.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.XmlConfigBuilder;
import dev.tokenbus.metrics.TokenbusMetrics;
import dev.tokenbus.protocol.frame.FrameCodec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Vert.x instance with the frame codec registered: what every tokenbus role runs on. Clustered on
 * Hazelcast with a TLS event bus, or a node of its own ({@link ClusterOptions#standalone()}).
 */
public final class ClusterNode {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);

  /** The Hazelcast map of the Responses API's stored responses (Vert.x's shared data names it as it is). */
  public static final String RESPONSES_MAP = "tokenbus.responses";
  /** Megabytes of stored responses each member holds at most, when the configuration file sets none. */
  public static final int RESPONSES_MAP_MB = 256;

  private final Vertx vertx;
  private final ClusterMembership membership;
  private final TokenbusMetrics metrics;
  private final SubscriptionRepair subscriptions; // null: no cluster

  private ClusterNode(Vertx vertx, ClusterMembership membership, TokenbusMetrics metrics,
      SubscriptionRepair subscriptions) {
    this.vertx = vertx;
    this.membership = membership;
    this.metrics = metrics;
    this.subscriptions = subscriptions;
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

  /**
   * What puts this node's event-bus subscriptions back in the cluster's directory when another
   * process removed them ({@link SubscriptionRepair}); null for a node without a cluster.
   */
  public SubscriptionRepair subscriptions() {
    return subscriptions;
  }

  /** Undeploys the verticles, leaves the cluster and closes Vert.x. */
  public Future<Void> close() {
    // Subscriptions stay watched while the verticles drain; once the node leaves, nothing is put back.
    return subscriptions == null ? vertx.close() : vertx.close().andThen(ar -> subscriptions.close());
  }

  /**
   * Every node runs one event loop. A stream's frames then stay on one thread in each process: a
   * gateway's HTTP connections (one verticle instance) and its event-bus connections to the workers,
   * a worker's verticle and its connections from the gateways, and in a node of its own the gateway
   * and the worker themselves (OPEN, ACCEPT and every TOKENS frame pass without waking another
   * thread). With Vert.x's default (two loops a core) each of those hand-offs woke a second thread,
   * a few tens of microseconds each on the first token's path, more on a busy machine. The decode
   * thread, Hazelcast's threads and the worker pool are apart from it.
   */
  public static final int EVENT_LOOPS = 1;

  /**
   * Joins (or forms) the cluster, or for {@link ClusterOptions#standalone()} starts a node of its own
   * with no cluster at all. With credentials, the event bus is TLS both ways: this node's
   * certificate, the cluster's CA as the only trust, a client certificate required. Call from a
   * plain thread, not from inside another Vert.x instance.
   */
  public static Future<ClusterNode> start(ClusterOptions options) {
    String registryName = "tokenbus-" + java.util.UUID.randomUUID();
    VertxOptions vo = new VertxOptions()
        // epoll where the platform has it (Linux x86-64; Java NIO elsewhere): fewer syscalls and
        // thread wake-ups between a request's bytes and its handler, and TCP_QUICKACK on offer.
        .setPreferNativeTransport(true)
        .setEventLoopPoolSize(EVENT_LOOPS)
        // Prometheus metrics: Vert.x's own (HTTP, event bus) and tokenbus's, in one registry per node.
        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
            .setRegistryName(registryName)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    if (options.local()) {
      // No cluster manager: no Hazelcast, no event-bus port; the event bus delivers in this process only.
      Vertx vertx = Vertx.builder().with(vo).withMetrics(new MicrometerMetricsFactory()).build();
      FrameCodec.register(vertx.eventBus());
      LOG.info("a node of its own: no cluster, no cluster port");
      return Future.succeededFuture(new ClusterNode(vertx,
          ClusterMembership.standalone("local-" + java.util.UUID.randomUUID()), TokenbusMetrics.of(registryName),
          null));
    }
    // Hazelcast reads this before any configuration file; as a config property it would miss its first lines.
    System.setProperty("hazelcast.logging.type", "slf4j");
    ClusterCredentials credentials;
    Config hz;
    try {
      credentials = options.credentials() == null ? null : ClusterCredentials.load(options.credentials());
      hz = loadConfig(options, credentials);
    } catch (IOException e) {
      return Future.failedFuture(new UncheckedIOException("cannot read the cluster configuration: " + e.getMessage(), e));
    }
    HazelcastClusterManager manager = new HazelcastClusterManager(hz);
    EventBusOptions bus = new EventBusOptions().setHost(options.host()).setPort(options.busPort())
        .setClusterPublicHost(options.host());
    if (options.busPublicPort() > 0) {
      bus.setClusterPublicPort(options.busPublicPort());
    }
    if (credentials != null) {
      bus.setSsl(true).setClientAuth(ClientAuth.REQUIRED)
          .setKeyCertOptions(MemberCheck.keyCert(credentials)).setTrustOptions(MemberCheck.trust(credentials));
      if (OpenSSLEngineOptions.isAvailable()) {
        bus.setSslEngineOptions(new OpenSSLEngineOptions()); // BoringSSL, bundled for Linux x86-64
      }
    } else {
      LOG.warn("the event bus is plain text (cluster-tls=false): prompts and tokens cross it unencrypted, and any"
          + " process that reaches the cluster port can use it");
    }
    vo.setEventBusOptions(bus);
    return Vertx.builder().with(vo).withClusterManager(manager).withMetrics(new MicrometerMetricsFactory())
        .buildClustered().map(vertx -> {
      FrameCodec.register(vertx.eventBus());
      if (credentials != null) {
        LOG.info("cluster '{}': event bus TLS ({}) with mutual authentication, CA {} ({})", hz.getClusterName(),
            OpenSSLEngineOptions.isAvailable() ? "BoringSSL" : "JDK", credentials.fingerprint().substring(0, 16),
            credentials.directory());
      }
      MemberCheck check = credentials == null ? null : new MemberCheck(vertx, credentials);
      SubscriptionRepair repair = SubscriptionRepair.start(vertx, manager);
      MinorityMaster.watch(vertx, manager.getHazelcastInstance());
      TokenbusMetrics metrics = TokenbusMetrics.of(registryName);
      HazelcastMetrics.register(metrics, manager.getHazelcastInstance());
      return new ClusterNode(vertx, new HazelcastMembership(vertx, manager, check), metrics, repair);
    });
  }

  static Config loadConfig(ClusterOptions options, ClusterCredentials credentials) throws IOException {
    Config hz;
    if (options.configFile() != null) {
      try (InputStream in = Files.newInputStream(options.configFile())) {
        hz = new XmlConfigBuilder(in).build();
      }
    } else {
      try (InputStream in = ClusterNode.class.getResourceAsStream("cluster.xml")) {
        if (in == null) {
          throw new IOException("dev/tokenbus/cluster/cluster.xml (conf/cluster.xml) is missing from the class path");
        }
        hz = new XmlConfigBuilder(in).build();
      }
    }
    if (options.clusterName() != null) {
      hz.setClusterName(options.clusterName());
    } else if (credentials != null) {
      // Clusters of other credentials never merge (they could not talk to each other anyway).
      hz.setClusterName(hz.getClusterName() + "-" + credentials.fingerprint().substring(0, 16));
    }
    options.attributes().forEach((k, v) -> hz.getMemberAttributeConfig().setAttribute(k, v));
    if (hz.getMapConfigOrNull(RESPONSES_MAP) == null) {
      hz.addMapConfig(responsesMap());
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
      int port = hz.getNetworkConfig().getPort();
      join.getTcpIpConfig().setEnabled(true)
          .setMembers(options.members().stream().map(m -> withPort(m, port)).toList());
    }
    return hz;
  }

  /**
   * The stored responses of OpenAI's Responses API, unless the configuration file names this map:
   * one backup, and at most {@link #RESPONSES_MAP_MB} MB of them on each member, the least recently
   * used evicted first.
   */
  static MapConfig responsesMap() {
    return new MapConfig(RESPONSES_MAP).setBackupCount(1).setEvictionConfig(new EvictionConfig()
        .setEvictionPolicy(EvictionPolicy.LRU).setMaxSizePolicy(MaxSizePolicy.USED_HEAP_SIZE).setSize(RESPONSES_MAP_MB));
  }

  /**
   * A member given without a port is looked for on the cluster port only, not on the XML's range of
   * ports from there: after a partition, the oldest member looks for the others at every address one
   * after the other, and each where nobody listens costs it 5 s (Hazelcast's fixed wait), so twenty
   * ports per host would keep a healed network split for a minute. An IPv6 literal or a host with a
   * port is left as it is.
   */
  static String withPort(String member, int port) {
    return member.contains(":") ? member : member + ":" + port;
  }
}
