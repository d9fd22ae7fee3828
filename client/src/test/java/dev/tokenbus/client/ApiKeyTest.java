package dev.tokenbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.testing.TestCluster;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A gateway with {@code api-keys}: the client's key opens both transports; none, or a wrong one, is an {@link AuthenticationException}. */
@Tag("cluster")
class ApiKeyTest {

  private static final String KEY = "client-test-key";
  private static TestCluster nodes;

  @BeforeAll
  static void start() throws Exception {
    nodes = TestCluster.gateways(1, 0, 1, 1024, GatewayOptions.defaults().withApiKeys(Set.of(KEY)));
  }

  @AfterAll
  static void stop() {
    if (nodes != null) {
      nodes.close();
    }
  }

  @ParameterizedTest
  @MethodSource("dev.tokenbus.client.Transport#values")
  void theKeyOpensTheGatewayAndItsAbsenceIsAnAuthenticationException(Transport transport) throws Exception {
    TokenbusOptions options = TokenbusOptions.of(nodes.url(0)).withTransport(transport);
    try (Tokenbus keyed = Tokenbus.create(options.withApiKey(KEY))) {
      TokenStream s = keyed.generate("with a key", StreamConfig.builder().maxTokens(3).build());
      int n = 0;
      while (!s.isFinished()) {
        s.next();
        n++;
      }
      assertThat(n).isEqualTo(3);
    }
    try (Tokenbus none = Tokenbus.create(options)) {
      assertThatThrownBy(() -> none.generate("no key").next()).isInstanceOfSatisfying(AuthenticationException.class,
          e -> assertThat(e.status()).isEqualTo(401));
    }
    try (Tokenbus wrong = Tokenbus.create(options.withApiKey("wrong"))) {
      assertThatThrownBy(() -> wrong.generate("wrong key").next()).isInstanceOf(AuthenticationException.class);
    }
    assertThat(options.withApiKey(KEY).toString()).doesNotContain(KEY);
  }
}
