package dev.tokenbus.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.multimap.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastNodeInfo;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A clustered node puts back its event-bus subscriptions that someone else removed from the
 * cluster's directory, and only those: what it removed itself stays removed.
 */
@Tag("cluster")
class SubscriptionRepairTest {

  private static ClusterNode node;
  /** The node's own Hazelcast member: a removal through it reaches every member's listeners like any other. */
  private static MultiMap<String, Object> directory;
  /** vertx-hazelcast's map of node id → event-bus host and port, through the same member. */
  private static IMap<String, Object> nodeInfos;

  @BeforeAll
  static void start() throws Exception {
    String name = "repair-test-" + System.nanoTime();
    node = ClusterNode.start(ClusterOptions.isolated(name, null)).await(60, TimeUnit.SECONDS);
    HazelcastInstance hz = Hazelcast.getAllHazelcastInstances().stream()
        .filter(h -> h.getConfig().getClusterName().equals(name)).findFirst().orElseThrow();
    directory = hz.getMultiMap(VertxSubscriptions.MAP);
    nodeInfos = hz.getMap(VertxSubscriptions.NODE_INFO_MAP);
    assertThat(node.subscriptions().active()).isTrue();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static MessageConsumer<Object> listen(String address) throws Exception {
    MessageConsumer<Object> c = node.vertx().eventBus().consumer(address, m -> m.reply("here"));
    c.completion().await(10, TimeUnit.SECONDS);
    return c;
  }

  /** Whether the directory names this node at {@code address}. */
  private static boolean published(String address) {
    return directory.get(address).stream()
        .anyMatch(v -> node.membership().nodeId().equals(((HazelcastRegistrationInfo) v).unwrap().nodeId()));
  }

  @Test
  void aRemovedSubscriptionIsPutBackWithinAFewSeconds() throws Exception {
    listen("repair.removed");
    assertThat(published("repair.removed")).isTrue();
    long before = node.subscriptions().repaired();

    directory.remove("repair.removed");

    await().atMost(Duration.ofSeconds(5)).until(() -> published("repair.removed"));
    assertThat(node.subscriptions().repaired()).isGreaterThan(before);
    assertThat(directory.get("repair.removed")).hasSize(1); // put back once, not once per check
  }

  @Test
  void aSubscriptionTheNodeRemovedItselfIsNotPutBack() throws Exception {
    MessageConsumer<Object> c = listen("repair.unregistered");
    long repaired = node.subscriptions().repaired();

    c.unregister().await(10, TimeUnit.SECONDS);
    long checks = node.subscriptions().checks();
    await().atMost(Duration.ofSeconds(SubscriptionRepair.AUDIT_MS / 1000 * 3))
        .until(() -> node.subscriptions().checks() > checks); // the removal was looked at, after it happened

    assertThat(published("repair.unregistered")).isFalse();
    assertThat(node.subscriptions().repaired()).isEqualTo(repaired);
  }

  @Test
  void aClearedDirectoryGetsAllOfTheNodesSubscriptionsBack() throws Exception {
    listen("repair.cleared.a");
    listen("repair.cleared.b");
    String ping = HazelcastMembership.PING_PREFIX + node.membership().nodeId();
    assertThat(published(ping)).isTrue();

    directory.clear();

    await().atMost(Duration.ofSeconds(5)).until(() -> published("repair.cleared.a") && published("repair.cleared.b")
        && published(ping));
  }

  /**
   * After a partition heals, a member of the other side that handles this node's departure late
   * removes its event-bus address after it merged and put it back; a node that joins then found no
   * address for it ("Not a member of the cluster") and never reached it (a lab run's worker, for 30 s).
   */
  @Test
  void aRemovedEventBusAddressIsPutBackWithinAFewSeconds() throws Exception {
    String nodeId = node.membership().nodeId();
    Object card = nodeInfos.get(nodeId);
    assertThat(card).isNotNull();
    long before = node.subscriptions().repaired();

    nodeInfos.remove(nodeId);
    assertThat(nodeInfos.containsKey(nodeId)).isFalse();

    await().atMost(Duration.ofSeconds(5)).until(() -> nodeInfos.containsKey(nodeId));
    assertThat(((HazelcastNodeInfo) nodeInfos.get(nodeId)).unwrap()).isEqualTo(((HazelcastNodeInfo) card).unwrap());
    assertThat(node.subscriptions().repaired()).isGreaterThan(before);
  }

  @Test
  void anEventBusAddressRemovedWhileNotWatchedIsPutBackWhenAllIsCompared() throws Exception {
    String nodeId = node.membership().nodeId();
    node.subscriptions().pause();
    try {
      nodeInfos.remove(nodeId);
      assertThat(nodeInfos.containsKey(nodeId)).isFalse();
    } finally {
      node.subscriptions().resume(); // compares everything, as the audit does
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> nodeInfos.containsKey(nodeId));
  }

  @Test
  void aSubscriptionDeletedWithoutAnEventIsPutBackByTheAudit() throws Exception {
    listen("repair.deleted");

    directory.delete("repair.deleted"); // Hazelcast tells no listener of a MultiMap.delete

    await().atMost(Duration.ofMillis(SubscriptionRepair.AUDIT_MS * 3)).until(() -> published("repair.deleted"));
  }

  @Test
  void onlyWhatTheDirectoryLacksAtTheAddressesLookedAtIsMissing() {
    RegistrationInfo a1 = new RegistrationInfo("me", 1, false);
    RegistrationInfo a2 = new RegistrationInfo("me", 2, false);
    RegistrationInfo b3 = new RegistrationInfo("me", 3, false);
    RegistrationInfo c4 = new RegistrationInfo("me", 4, false);
    Map<String, List<RegistrationInfo>> registered = Map.of("a", List.of(a1, a2), "b", List.of(b3), "c", List.of(c4));
    Map<String, List<RegistrationInfo>> published = Map.of("a", List.of(a1, new RegistrationInfo("other", 1, false)),
        "b", List.of(b3), "c", List.of());

    assertThat(SubscriptionRepair.missing(registered, Set.of("a", "b", "gone"), a -> published.getOrDefault(a, List.of())))
        .isEqualTo(Map.of("a", List.of(a2)));
    assertThat(SubscriptionRepair.missing(registered, registered.keySet(), a -> published.getOrDefault(a, List.of())))
        .isEqualTo(Map.of("a", List.of(a2), "c", List.of(c4)));
  }

  @Test
  void otherInternalsMeanNoRepairAndNoFailure() throws Exception {
    assertThat(VertxSubscriptions.open(new Object())).isNull();
    Vertx vertx = Vertx.vertx();
    try {
      SubscriptionRepair repair = SubscriptionRepair.start(vertx, new HazelcastClusterManager()); // never joined
      assertThat(repair.active()).isFalse();
      repair.pause();
      repair.resume();
      repair.close();
      assertThat(repair.checks()).isZero();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
