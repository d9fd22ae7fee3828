package dev.tokenbus.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("cluster")
class ClusterCredentialsTest {

  @TempDir
  Path tmp;

  @Test
  void createdOnFirstUseForTheOwnerOnlyAndLoadedAfter() throws Exception {
    Path dir = tmp.resolve("config/tokenbus/cluster");
    ClusterCredentials.Loaded first = ClusterCredentials.loadOrCreate(dir);
    assertThat(first.created()).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.getParent()))).isEqualTo("rwx------");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(ClusterCredentials.CA_CERT,
          ClusterCredentials.CA_KEY, ClusterCredentials.NODE_CERT, ClusterCredentials.NODE_KEY);
    }
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(f -> assertThat(permissions(f)).as(f.toString()).isEqualTo("rw-------"));
    }
    ClusterCredentials.Loaded again = ClusterCredentials.loadOrCreate(dir);
    assertThat(again.created()).isFalse();
    assertThat(again.credentials().fingerprint()).isEqualTo(first.credentials().fingerprint());
    assertThat(again.credentials().canIssue()).isTrue();
    assertThatThrownBy(() -> ClusterCredentials.create(dir)).isInstanceOf(FileAlreadyExistsException.class);
  }

  @Test
  void processesStartingAtOnceAgreeOnOneCluster() throws Exception {
    Path dir = tmp.resolve("cluster");
    int n = 8;
    CyclicBarrier start = new CyclicBarrier(n);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<ClusterCredentials.Loaded>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        results.add(pool.submit((Callable<ClusterCredentials.Loaded>) () -> {
          start.await();
          return ClusterCredentials.loadOrCreate(dir);
        }));
      }
      List<ClusterCredentials.Loaded> loaded = new ArrayList<>();
      for (Future<ClusterCredentials.Loaded> f : results) {
        loaded.add(f.get(60, TimeUnit.SECONDS));
      }
      assertThat(loaded.stream().filter(ClusterCredentials.Loaded::created)).hasSize(1);
      assertThat(loaded.stream().map(l -> l.credentials().fingerprint()).distinct()).hasSize(1);
      try (Stream<Path> left = Files.list(tmp)) {
        assertThat(left.map(p -> p.getFileName().toString())).as("no temporary directory left").containsExactly("cluster");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aKeyOthersCanReadIsRefused() throws Exception {
    Path dir = tmp.resolve("cluster");
    ClusterCredentials.create(dir);
    Files.setPosixFilePermissions(dir.resolve(ClusterCredentials.NODE_KEY), PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> ClusterCredentials.load(dir)).hasMessageContaining("can be read by other users")
        .hasMessageContaining("chmod 600");
  }

  @Test
  void incompleteCredentialsSayWhatIsMissing() throws Exception {
    Path dir = tmp.resolve("cluster");
    ClusterCredentials.create(dir);
    Files.delete(dir.resolve(ClusterCredentials.NODE_CERT));
    assertThatThrownBy(() -> ClusterCredentials.load(dir)).hasMessageContaining("node.pem is missing");
  }

  @Test
  void aNodeCertificateFromAnotherCaIsRefused() throws Exception {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    ClusterCredentials.create(a);
    ClusterCredentials.create(b);
    Files.copy(b.resolve(ClusterCredentials.CA_CERT), a.resolve(ClusterCredentials.CA_CERT),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> ClusterCredentials.load(a)).hasMessageContaining("is not signed by the CA");
  }

  @Test
  void anExportedBundleJoinsAnotherMachineToTheCluster() throws Exception {
    ClusterCredentials home = ClusterCredentials.create(tmp.resolve("home"));
    Path bundle = tmp.resolve("bundle.pem");
    home.exportBundle(bundle);
    assertThat(permissions(bundle)).isEqualTo("rw-------");
    assertThat(Files.readString(bundle)).doesNotContain(Files.readString(home.directory().resolve(ClusterCredentials.CA_KEY)));

    ClusterCredentials other = ClusterCredentials.importBundle(bundle, tmp.resolve("other/cluster"));
    assertThat(other.fingerprint()).isEqualTo(home.fingerprint());
    assertThat(other.canIssue()).as("the CA key stays home").isFalse();
    assertThat(other.nodeSubject()).isNotEqualTo(home.nodeSubject());
    assertThatThrownBy(() -> other.exportBundle(tmp.resolve("again.pem"))).hasMessageContaining("no CA key");
    assertThatThrownBy(() -> ClusterCredentials.importBundle(bundle, tmp.resolve("other/cluster")))
        .isInstanceOf(FileAlreadyExistsException.class);

    // Nodes of both machines trust each other and talk over the TLS bus.
    String name = "creds-" + System.nanoTime();
    ClusterNode a = ClusterNode.start(ClusterOptions.isolated(name, home.directory())).await(60, TimeUnit.SECONDS);
    ClusterNode b = ClusterNode.start(ClusterOptions.isolated(name, other.directory())).await(60, TimeUnit.SECONDS);
    try {
      b.vertx().eventBus().consumer("creds.echo", m -> m.reply("echo " + m.body()));
      await().atMost(Duration.ofSeconds(30)).until(() -> a.membership().members().stream()
          .anyMatch(m -> m.trust() == ClusterMembership.Trust.TRUSTED));
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> "echo hi".equals(
          a.vertx().eventBus().request("creds.echo", "hi").await(5, TimeUnit.SECONDS).body()));
    } finally {
      a.close().await(30, TimeUnit.SECONDS);
      b.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aBundleThatIsNotOneIsRefused() throws Exception {
    Path junk = tmp.resolve("junk.pem");
    Files.writeString(junk, "not a bundle\n");
    assertThatThrownBy(() -> ClusterCredentials.importBundle(junk, tmp.resolve("c")))
        .hasMessageContaining("not a tokenbus credentials bundle");
    assertThat(tmp.resolve("c")).doesNotExist();
  }

  private static String permissions(Path p) {
    try {
      return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
