package dev.tokenbus.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {

  private static Config load(List<String> members, int port) throws Exception {
    return ClusterNode.loadConfig(new ClusterOptions(null, "test", "127.0.0.1", members, port, null, false, Map.of(),
        0, 0), null);
  }

  @Test
  void theBuiltInConfigurationLooksForSplitClustersEveryFewSeconds() throws Exception {
    Config hz = load(List.of(), 0);
    assertThat(hz.getProperty("hazelcast.merge.first.run.delay.seconds")).isEqualTo("5");
    assertThat(hz.getProperty("hazelcast.merge.next.run.delay.seconds")).isEqualTo("5");
    assertThat(hz.getProperty("hazelcast.partial.member.disconnection.resolution.heartbeat.count")).isEqualTo("3");
    // Its own loopback list keeps the range of ports (several nodes on one host).
    assertThat(hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).containsExactly("127.0.0.1");
  }

  @Test
  void membersGivenWithoutAPortAreLookedForOnTheClusterPortOnly() throws Exception {
    assertThat(load(List.of("10.0.0.1", "gateway", "10.0.0.2:5800"), 0).getNetworkConfig().getJoin().getTcpIpConfig()
        .getMembers()).containsExactly("10.0.0.1:5701", "gateway:5701", "10.0.0.2:5800");
    assertThat(load(List.of("10.0.0.1"), 6000).getNetworkConfig().getJoin().getTcpIpConfig().getMembers())
        .containsExactly("10.0.0.1:6000");
  }
}
