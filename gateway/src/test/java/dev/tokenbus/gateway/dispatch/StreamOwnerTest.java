package dev.tokenbus.gateway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link StreamOwner}: a digest of the API key, the same on every gateway, never the key itself. */
class StreamOwnerTest {

  @Test
  void theSameKeyIsTheSameOwnerWhereverItIsComputed() {
    StreamOwner here = StreamOwner.ofApiKey("sk-tenant-a");
    StreamOwner there = StreamOwner.ofApiKey(new String("sk-tenant-a".toCharArray()));
    assertThat(here).isNotSameAs(there).isEqualTo(there).hasSameHashCodeAs(there);
    assertThat(StreamOwner.fromWire(here.wire())).as("as a claim carries it").isEqualTo(here);
  }

  @Test
  void differentKeysAreDifferentOwnersAndNoneIsTheSingleTenant() {
    StreamOwner a = StreamOwner.ofApiKey("sk-tenant-a");
    assertThat(a).isNotEqualTo(StreamOwner.ofApiKey("sk-tenant-b"))
        .isNotEqualTo(StreamOwner.ofApiKey("sk-tenant-a "))
        .isNotEqualTo(StreamOwner.ofApiKey("SK-TENANT-A"));
    for (String key : new String[] {"", "single-tenant", StreamOwner.SINGLE_TENANT.wire()}) {
      assertThat(StreamOwner.ofApiKey(key)).as(key).isNotEqualTo(StreamOwner.SINGLE_TENANT);
    }
    assertThat(StreamOwner.fromWire(a.wire().substring(0, a.wire().length() - 1))).isNotEqualTo(a);
  }

  @Test
  void neitherTheWireFormNorTheStringShowsTheKey() {
    String key = "sk-tenant-secret-0123456789";
    StreamOwner owner = StreamOwner.ofApiKey(key);
    assertThat(owner.wire()).startsWith("sha256:").doesNotContain(key).doesNotContain("secret").hasSize(7 + 43);
    assertThat(owner.toString()).doesNotContain(key).doesNotContain(owner.wire().substring(7));
  }

  @Test
  void aClaimNamingNoOwnerHasNone() {
    assertThat(StreamOwner.fromWire(null)).isNull();
  }
}
